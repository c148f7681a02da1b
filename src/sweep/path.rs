//! Scenario field paths such as `functions[0].workload.rate_per_s`: parsing them and
//! setting a value at one inside a scenario's JSON.
//!
//! The syntax is the one error messages use (`serde_path_to_error`), so a path copied from
//! an error works as a sweep parameter.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Parses `a.b[0].c`; keys are letters, digits and `_`.
pub fn parse(path: &str) -> Result<Vec<Segment>, String> {
    let bad = |why: &str| {
        format!(
            "`{path}` is not a field path ({why}); expected e.g. `functions[0].workload.rate_per_s`"
        )
    };
    let mut out = Vec::new();
    let mut rest = path;
    let mut expect_key = true;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or_else(|| bad("unclosed `[`"))?;
            let i = r[..end]
                .parse::<usize>()
                .map_err(|_| bad("an index must be a number"))?;
            out.push(Segment::Index(i));
            rest = &r[end + 1..];
            expect_key = false;
            continue;
        }
        if !expect_key {
            rest = rest
                .strip_prefix('.')
                .ok_or_else(|| bad("expected `.` or `[` after an index"))?;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let key = &rest[..end];
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad("empty key or unexpected character"));
        }
        out.push(Segment::Key(key.to_owned()));
        rest = &rest[end..];
        expect_key = false;
    }
    if out.is_empty() {
        return Err(bad("empty"));
    }
    Ok(out)
}

fn render(segments: &[Segment]) -> String {
    let mut s = String::new();
    for seg in segments {
        match seg {
            Segment::Key(k) if s.is_empty() => s.push_str(k),
            Segment::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Sets `value` at `path` inside `root`. The parent must exist; the last key may be new
/// (so an optional field absent from the base can be swept), an index must exist.
pub fn set(root: &mut Value, path: &[Segment], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().expect("paths are not empty");
    let mut node = root;
    for (depth, seg) in parents.iter().enumerate() {
        let here = render(&path[..depth]);
        node = step(node, seg, &here, &path[..=depth])?;
    }
    let parent = render(parents);
    let shown = if parent.is_empty() {
        "the scenario"
    } else {
        &parent
    };
    match (last, node) {
        (Segment::Key(k), Value::Object(map)) => {
            map.insert(k.clone(), value);
            Ok(())
        }
        (Segment::Index(i), Value::Array(items)) => {
            let len = items.len();
            let slot = items.get_mut(*i).ok_or_else(|| {
                format!("index {i} is out of range: `{shown}` has {len} element(s)")
            })?;
            *slot = value;
            Ok(())
        }
        (Segment::Key(_), _) => Err(format!("`{shown}` is not an object")),
        (Segment::Index(_), _) => Err(format!("`{shown}` is not an array")),
    }
}

fn step<'a>(
    node: &'a mut Value,
    seg: &Segment,
    here: &str,
    upto: &[Segment],
) -> Result<&'a mut Value, String> {
    let shown = if here.is_empty() {
        "the scenario"
    } else {
        here
    };
    match (seg, node) {
        (Segment::Key(k), Value::Object(map)) => map.get_mut(k).ok_or_else(|| {
            format!(
                "`{}` does not exist in the base scenario (only the last field of a path may be new)",
                render(upto)
            )
        }),
        (Segment::Index(i), Value::Array(items)) => {
            let len = items.len();
            items.get_mut(*i).ok_or_else(|| {
                format!("index {i} is out of range: `{shown}` has {len} element(s)")
            })
        }
        (Segment::Key(_), _) => Err(format!("`{shown}` is not an object")),
        (Segment::Index(_), _) => Err(format!("`{shown}` is not an array")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_renders() {
        let p = parse("functions[0].workload.rate_per_s").unwrap();
        assert_eq!(
            p,
            vec![
                Segment::Key("functions".into()),
                Segment::Index(0),
                Segment::Key("workload".into()),
                Segment::Key("rate_per_s".into()),
            ]
        );
        assert_eq!(render(&p), "functions[0].workload.rate_per_s");
        for bad in ["", "a..b", "a[x]", "a[0", "a[0]b", ".a", "a-b"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sets_existing_and_new_leaves_only() {
        let mut v = json!({"functions": [{"workload": {"rate_per_s": 1}}]});
        set(
            &mut v,
            &parse("functions[0].workload.rate_per_s").unwrap(),
            json!(5),
        )
        .unwrap();
        set(
            &mut v,
            &parse("functions[0].max_concurrency").unwrap(),
            json!(3),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"functions": [{"workload": {"rate_per_s": 5}, "max_concurrency": 3}]})
        );
        let err = set(
            &mut v,
            &parse("functions[0].keep_alive.idle_s").unwrap(),
            json!(1),
        );
        assert!(
            err.unwrap_err()
                .contains("`functions[0].keep_alive` does not exist")
        );
        let err = set(&mut v, &parse("functions[2].name").unwrap(), json!("x"));
        assert_eq!(
            err.unwrap_err(),
            "index 2 is out of range: `functions` has 1 element(s)"
        );
    }
}
