//! IAM wildcard matching: `*` is any run of characters (also none), `?` is
//! exactly one character.

/// Stands in a pattern for IAM's `${*}`: a literal `*`, not a wildcard.
pub(crate) const LITERAL_STAR: char = '\u{E000}';
/// Stands in a pattern for IAM's `${?}`: a literal `?`.
pub(crate) const LITERAL_QUESTION: char = '\u{E001}';
/// Stands in a pattern for IAM's `${$}`: a literal `$` (kept apart from a
/// bare `$` so that `${$}{x}` is not taken for the variable `${x}`).
pub(crate) const LITERAL_DOLLAR: char = '\u{E002}';

/// IAM's three special policy variables, `${*}`, `${?}` and `${$}`, which
/// write a literal `*`, `?` and `$` where the bare characters would be a
/// wildcard or start a variable. They become [`LITERAL_STAR`],
/// [`LITERAL_QUESTION`] and [`LITERAL_DOLLAR`], private-use characters the
/// matchers compare as `*`, `?` and `$`.
pub(crate) fn special_variables(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("${") {
        return text.into();
    }
    text.replace("${*}", &LITERAL_STAR.to_string())
        .replace("${?}", &LITERAL_QUESTION.to_string())
        .replace("${$}", &LITERAL_DOLLAR.to_string())
        .into()
}

/// The text a pattern stands for when matched exactly (`StringEquals`):
/// the literal stand-ins back as the characters they are.
pub(crate) fn literal(pattern: &str) -> std::borrow::Cow<'_, str> {
    if !pattern.contains([LITERAL_STAR, LITERAL_QUESTION, LITERAL_DOLLAR]) {
        return pattern.into();
    }
    pattern
        .replace(LITERAL_STAR, "*")
        .replace(LITERAL_QUESTION, "?")
        .replace(LITERAL_DOLLAR, "$")
        .into()
}

/// One pattern character against one text character, without wildcards.
fn same(p: char, t: char) -> bool {
    p == t
        || (p == LITERAL_STAR && t == '*')
        || (p == LITERAL_QUESTION && t == '?')
        || (p == LITERAL_DOLLAR && t == '$')
}

/// Whole-string wildcard match, case-sensitive, as `StringLike` does it.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return glob_slices(pattern.as_bytes(), text.as_bytes(), b'*', b'?', |a, b| {
            a == b
        });
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_slices(&p, &t, '*', '?', same)
}

/// Case-insensitive [`glob`], for action names (IAM compares them without
/// regard to case).
pub(crate) fn glob_ignore_case(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return glob_slices(pattern.as_bytes(), text.as_bytes(), b'*', b'?', |a, b| {
            a.eq_ignore_ascii_case(&b)
        });
    }
    glob(&pattern.to_lowercase(), &text.to_lowercase())
}

/// The classic two-pointer match: on a mismatch, go back to the last `*`
/// and let it swallow one more character. Never exponential.
fn glob_slices<T: Copy + PartialEq>(
    p: &[T],
    t: &[T],
    star: T,
    any: T,
    eq: impl Fn(T, T) -> bool,
) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == any || (p[pi] != star && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == star {
            last_star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = last_star {
            pi = sp + 1;
            ti = st + 1;
            last_star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == star)
}

/// True when `pattern` has a wildcard in it.
pub(crate) fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// ARN match, case-sensitive, as the `Resource` element and the `Arn*`
/// condition operators do it: wildcards work within the colon-separated
/// segments; `?` never matches a colon, and `*` matches across colons only
/// when it is the last character of a segment (followed by `:` or the end),
/// which is how `arn:aws:s3:::*` and `*` match everything.
pub(crate) fn arn_match(pattern: &str, arn: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = arn.chars().collect();
    // Stars differ in what they may swallow, so the greedy two-pointer match
    // is not enough: a table of "p[i..] matches t[j..]", filled backwards.
    // Both sides are ARNs (at most a few thousand characters).
    let width = t.len() + 1;
    let mut next = vec![false; width];
    next[t.len()] = true; // empty pattern matches empty text
    let mut current = vec![false; width];
    for i in (0..p.len()).rev() {
        current.fill(false);
        match p[i] {
            '*' => {
                let crosses_colons = p.get(i + 1).is_none_or(|&c| c == ':');
                // current[j] = next[j] || (t[j] allowed && current[j + 1])
                current[t.len()] = next[t.len()];
                for j in (0..t.len()).rev() {
                    current[j] = next[j] || ((crosses_colons || t[j] != ':') && current[j + 1]);
                }
            }
            '?' => {
                for j in 0..t.len() {
                    current[j] = t[j] != ':' && next[j + 1];
                }
            }
            c => {
                for j in 0..t.len() {
                    current[j] = same(c, t[j]) && next[j + 1];
                }
            }
        }
        std::mem::swap(&mut next, &mut current);
    }
    next[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_basics() {
        assert!(glob("*", ""));
        assert!(glob("*", "anything:at/all"));
        assert!(glob("s3:Get*", "s3:GetObject"));
        assert!(glob("s3:Get*", "s3:Get"));
        assert!(!glob("s3:Get*", "s3:getObject"));
        assert!(glob("s3:*Object", "s3:PutObject"));
        assert!(!glob("s3:*Object", "s3:PutObjectAcl"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!glob("*a*b*c*", "xxaxxcxxbxx"));
        assert!(glob("", ""));
        assert!(!glob("", "a"));
        assert!(glob("héllo*", "héllo wörld"));
    }

    #[test]
    fn glob_ignore_case_for_actions() {
        assert!(glob_ignore_case("S3:get*", "s3:GetObject"));
        assert!(glob_ignore_case(
            "ec2:terminate?nstances",
            "ec2:TerminateInstances"
        ));
    }

    #[test]
    fn arn_wildcards_stay_in_their_segment_unless_last() {
        assert!(arn_match("*", "arn:aws:s3:::bucket/key"));
        assert!(arn_match("arn:aws:s3:::*", "arn:aws:s3:::bucket/a:b/c"));
        assert!(arn_match(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/a/b"
        ));
        assert!(!arn_match("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/a"));
        assert!(arn_match(
            "arn:aws:iam::*:role/terraform-*",
            "arn:aws:iam::111111111111:role/terraform-apply"
        ));
        // A `*` in the middle of a segment does not swallow a colon...
        assert!(!arn_match("arn:aws:*3:::b", "arn:aws:s3:x:::b"));
        assert!(arn_match("arn:aws:*3:::b", "arn:aws:s3:::b"));
        // ...nor does `?`.
        assert!(!arn_match("arn:aws:s3:::a?b", "arn:aws:s3:::a:b"));
        assert!(arn_match("arn:aws:s3:::a?b", "arn:aws:s3:::a/b"));
        // Case-sensitive.
        assert!(!arn_match(
            "arn:aws:iam::1:user/Bob",
            "arn:aws:iam::1:user/bob"
        ));
        // IAM's `${*}` and `${?}` are the characters themselves.
        let escaped = special_variables("arn:aws:s3:::b/a${*}b${?}/${$}{x}");
        assert!(arn_match(&escaped, "arn:aws:s3:::b/a*b?/${x}"));
        assert!(!arn_match(&escaped, "arn:aws:s3:::b/aXbY/${x}"));
        assert!(glob(&escaped, "arn:aws:s3:::b/a*b?/${x}"));
        assert!(!glob(&escaped, "arn:aws:s3:::b/aXb?/${x}"));
        assert_eq!(literal(&escaped), "arn:aws:s3:::b/a*b?/${x}");
        assert!(arn_match(
            "arn:aws:logs:*:*:log-group:app:*",
            "arn:aws:logs:eu-west-1:111111111111:log-group:app:log-stream:x"
        ));
    }
}
