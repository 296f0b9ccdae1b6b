//! Reading the decoded JSON of one event the way the Python adapters read a dict: `get` a member (the last of a
//! repeated key, as `json.loads` keeps it), truthiness as Python's, and JSON text written back as `json.dumps(...,
//! ensure_ascii=False)` writes it.

pub(crate) use crate::extract::Json as Value;

/// The member `key` of an object (`None` for a missing key or a non-object). A repeated key keeps its last value.
pub(crate) fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// `get`, present and not `null`: Python's `data.get(key)` being not `None`.
pub(crate) fn get_some<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    get(value, key).filter(|v| !matches!(v, Value::Null))
}

/// The first of two spellings present and not null (Gemini's wire camelCase, the SDK's snake_case).
pub(crate) fn get_either<'a>(value: &'a Value, camel: &str, snake: &str) -> Option<&'a Value> {
    get_some(value, camel).or_else(|| get_some(value, snake))
}

/// A member that is a string.
pub(crate) fn get_str<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    match get(value, key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

/// A member that is a non-empty string (what `if data.get(key):` lets through, for a string).
pub(crate) fn get_text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    get_str(value, key).filter(|text| !text.is_empty())
}

/// Python truthiness of a decoded JSON value.
pub(crate) fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(text)) => {
            text.bytes().any(|b| (b'1'..=b'9').contains(&b)) && !is_zero(text)
        }
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(members)) => !members.is_empty(),
    }
}

fn is_zero(number: &str) -> bool {
    // `0e5`, `0.000`: the mantissa's digits are all zero.
    let mantissa = number.split(['e', 'E']).next().unwrap_or(number);
    mantissa.bytes().all(|b| !(b'1'..=b'9').contains(&b))
}

/// An integer member (`isinstance(x, int)` for what JSON can hold: a number without fraction or exponent).
pub(crate) fn as_int(value: Option<&Value>) -> Option<i64> {
    match value {
        Some(Value::Number(text)) => text.parse().ok(),
        _ => None,
    }
}

/// The items of an array member (none for anything else).
pub(crate) fn items(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// A value as Python's `str(x)` would show the decoded value, for the few places a non-string is tolerated.
pub(crate) fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(text) => text.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => {
            let mut out = String::new();
            write_json(other, &mut out);
            out
        }
    }
}

/// `value` as JSON text, as Python's `json.dumps(value, ensure_ascii=False)` writes the decoded value (`", "` and
/// `": "` separators); numbers are written as they were received.
pub(crate) fn write_json(value: &Value, out: &mut String) {
    // An explicit stack: no recursion on the depth of the input.
    enum Step<'a> {
        Value(&'a Value),
        Text(&'static str),
        Key(&'a str),
    }
    let mut steps = vec![Step::Value(value)];
    while let Some(step) = steps.pop() {
        match step {
            Step::Text(text) => out.push_str(text),
            Step::Key(key) => {
                write_string(key, out);
                out.push_str(": ");
            }
            Step::Value(value) => match value {
                Value::Null => out.push_str("null"),
                Value::Bool(true) => out.push_str("true"),
                Value::Bool(false) => out.push_str("false"),
                Value::Number(text) => out.push_str(text),
                Value::String(text) => write_string(text, out),
                Value::Array(items) => {
                    out.push('[');
                    steps.push(Step::Text("]"));
                    for (i, item) in items.iter().enumerate().rev() {
                        steps.push(Step::Value(item));
                        if i > 0 {
                            steps.push(Step::Text(", "));
                        }
                    }
                }
                Value::Object(members) => {
                    out.push('{');
                    steps.push(Step::Text("}"));
                    for (i, (key, item)) in members.iter().enumerate().rev() {
                        steps.push(Step::Value(item));
                        steps.push(Step::Key(key));
                        if i > 0 {
                            steps.push(Step::Text(", "));
                        }
                    }
                }
            },
        }
    }
}

/// A JSON string literal as `json.dumps(ensure_ascii=False)` writes it.
pub(crate) fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        crate::extract::extract(text, &crate::extract::Want::Any).unwrap()
    }

    #[test]
    fn written_as_python_writes_it() {
        let value = parse(r#"{"a": [1, 2.5, "x\"\n\u0001é"], "b": {}, "c": null, "d": true}"#);
        let mut out = String::new();
        write_json(&value, &mut out);
        assert_eq!(
            out,
            "{\"a\": [1, 2.5, \"x\\\"\\n\\u0001é\"], \"b\": {}, \"c\": null, \"d\": true}"
        );
    }

    #[test]
    fn truthiness_is_pythons() {
        for (text, expected) in [
            ("0", false),
            ("0.0", false),
            ("-0e5", false),
            ("1", true),
            ("0.5", true),
            ("\"\"", false),
            ("\"a\"", true),
            ("[]", false),
            ("{}", false),
            ("null", false),
            ("false", false),
        ] {
            assert_eq!(truthy(Some(&parse(text))), expected, "{text}");
        }
        assert!(!truthy(None));
    }

    #[test]
    fn last_of_a_repeated_key() {
        let value = parse(r#"{"a": 1, "a": 2}"#);
        assert_eq!(as_int(get(&value, "a")), Some(2));
    }
}
