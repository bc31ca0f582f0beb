//! `s3://BUCKET/PREFIX` sources of `tfroles usage`: each object under the
//! prefix that is named like a log is fetched (one at a time, bounded) and
//! read like a file.

use std::path::Path;

use tfroles_creds::Env;
use tfroles_creds::s3::{S3Reader, S3Url};
use tfroles_trail::{Event, Limits, Skipped, WalkStats, is_log_name, read_log};

use crate::{Failure, Outcome};

pub fn read(
    source: &str,
    limits: &Limits,
    sink: &mut dyn FnMut(Event),
    stats: &mut WalkStats,
) -> Outcome<()> {
    let url: S3Url = source.parse()?;
    let reader = S3Reader::new(&Env::from_process())?;
    reader.for_each_object(&url, |object| -> Result<(), Failure> {
        let name = format!("s3://{}/{}", url.bucket, object.key);
        let base = object.key.rsplit('/').next().unwrap_or("");
        let skip = if object.key.contains("/CloudTrail-Digest/") {
            Some("CloudTrail's digest files carry no events")
        } else if !is_log_name(base) {
            Some("not a `.json` or `.json.gz` file")
        } else {
            None
        };
        if let Some(reason) = skip {
            stats.skipped.push(Skipped {
                path: name.into(),
                reason: reason.into(),
            });
            return Ok(());
        }
        if object.size > limits.file_bytes {
            return Err(tfroles_trail::Error::TooLarge {
                path: name.into(),
                what: "the object".into(),
                limit: limits.file_bytes,
            }
            .into());
        }
        let bytes = reader.get_object(&url.bucket, &object.key, limits.file_bytes as usize + 1)?;
        let file = read_log(
            &bytes[..],
            bytes.len() as u64,
            Path::new(&name),
            limits,
            sink,
        )?;
        stats.add(file);
        Ok(())
    })
}
