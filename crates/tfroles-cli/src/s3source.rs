//! `s3://BUCKET/PREFIX` sources of `tfroles usage`.

use tfroles_trail::{Event, Limits, WalkStats};

use crate::{Outcome, Usage};

pub fn read(
    source: &str,
    _limits: &Limits,
    _sink: &mut dyn FnMut(Event),
    _stats: &mut WalkStats,
) -> Outcome<()> {
    Err(Usage(format!("{source}: s3:// sources are not read yet")).into())
}
