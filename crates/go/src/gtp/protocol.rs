//! GTP version 2 framing (spec section 3): cleaning an input line, splitting off the
//! optional id, and formatting `=id result` / `?id message` responses.

/// A command after preprocessing: the id as written (digits only, echoed back
/// verbatim so no number is too big), the command name and its arguments.
#[derive(Debug, PartialEq)]
pub(crate) struct Request {
    pub id: Option<String>,
    pub name: String,
    pub args: Vec<String>,
}

/// GTP's preprocessing (spec 3.1): control characters other than HT and LF are
/// removed, everything from `#` on is a comment, HT becomes a space. The line feed
/// itself goes too, as does anything else `char::is_control` calls a control.
pub(crate) fn preprocess(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '#' => break,
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Splits a preprocessed line into id, name and arguments; `None` for a line that is
/// empty or all white space (which the spec says to ignore).
pub(crate) fn parse(line: &str) -> Option<Request> {
    let mut words = line.split_whitespace();
    let first = words.next()?;
    let (id, name) = if first.bytes().all(|b| b.is_ascii_digit()) {
        (Some(first.to_string()), words.next().unwrap_or("").to_string())
    } else {
        (None, first.to_string())
    };
    Some(Request { id, name, args: words.map(str::to_string).collect() })
}

/// The response text: `=id result` or `?id message`, then the blank line that ends
/// every response. Blank lines inside the body would end it early, so they are
/// dropped, and a body never ends in a line break of its own.
pub(crate) fn frame(id: Option<&str>, outcome: &Result<String, String>) -> String {
    let (mark, body) = match outcome {
        Ok(body) => ('=', body.as_str()),
        Err(msg) => ('?', msg.as_str()),
    };
    let body = clean_body(body);
    let id = id.unwrap_or("");
    if body.is_empty() {
        format!("{mark}{id}\n\n")
    } else {
        format!("{mark}{id} {body}\n\n")
    }
}

/// Removes control characters (line breaks aside) and empty lines, keeping a leading
/// line break (a board printed below `=`), and trims the end.
fn clean_body(body: &str) -> String {
    let body: String = body.chars().filter(|&c| c == '\n' || !c.is_control()).collect();
    let lead = if body.starts_with('\n') { "\n" } else { "" };
    let lines: Vec<&str> = body.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    let joined = lines.join("\n");
    if joined.is_empty() {
        joined
    } else {
        format!("{lead}{joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocessing_drops_controls_and_comments_and_turns_tabs_to_spaces() {
        assert_eq!(preprocess("play\tb d4 # a comment\r\n"), "play b d4 ");
        assert_eq!(preprocess("na\x07me\x00\x1b\x7f"), "name");
        assert_eq!(preprocess("# only a comment"), "");
    }

    #[test]
    fn ids_are_leading_digits_only() {
        let r = parse("12 play b D4").unwrap();
        assert_eq!(r, Request { id: Some("12".into()), name: "play".into(), args: vec!["b".into(), "D4".into()] });
        assert_eq!(parse("12abc x").unwrap().id, None);
        assert_eq!(parse("   ").map(|r| r.name), None);
        assert_eq!(parse("7").unwrap(), Request { id: Some("7".into()), name: String::new(), args: vec![] });
        let big = "123456789012345678901234567890";
        assert_eq!(parse(&format!("{big} name")).unwrap().id.as_deref(), Some(big));
    }

    #[test]
    fn responses_echo_the_id_and_end_in_a_blank_line() {
        assert_eq!(frame(None, &Ok(String::new())), "=\n\n");
        assert_eq!(frame(Some("12"), &Ok("D4".into())), "=12 D4\n\n");
        assert_eq!(frame(Some("3"), &Err("illegal move".into())), "?3 illegal move\n\n");
        assert_eq!(frame(None, &Ok("\na\n\nb\n".into())), "= \na\nb\n\n");
    }
}
