//! What Campo reads in one e-mail (pure, no I/O): sender, subject, text (HTML turned into text),
//! attachments, whether it is automatic (never answered), and what case it replies to. Malformed
//! MIME gives what could be read, never an error: a message always becomes something.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

/// An image attachment, to go through the photo pipeline.
#[derive(Debug, Clone)]
pub struct Image {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// One e-mail as Campo understands it.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// The sender's address (lower case), from `From`.
    pub from: Option<String>,
    /// The sender's display name.
    pub from_name: Option<String>,
    pub subject: String,
    /// The text body; an HTML-only message's HTML as text.
    pub text: String,
    pub images: Vec<Image>,
    /// Names (and types) of the attachments that are not images: listed, not stored.
    pub other_attachments: Vec<String>,
    /// Sent by a robot, a list or a mail server (`Auto-Submitted: auto-*`, `Precedence:
    /// bulk/junk/list`, `MAILER-DAEMON`, an empty return path): never answered.
    pub automatic: bool,
    /// The case number in the subject (`[SAT-2026-000123]`).
    pub case_number: Option<String>,
    /// The Message-IDs of `In-Reply-To` and `References`, without angle brackets.
    pub replies_to: Vec<String>,
    /// Whether MIME could not be read as a message (the text is then the raw bytes, as text).
    pub malformed: bool,
}

/// A Message-ID as `In-Reply-To` and `References` carry it (`<id>`), or `None` for one that
/// could not go in a header as it is (spaces, angle brackets, control or non-ASCII characters,
/// longer than a header line should be): the answer is then simply not threaded.
pub fn reply_reference(message_id: &str) -> Option<String> {
    let fits = !message_id.is_empty()
        && message_id.len() <= 250
        && message_id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    fits.then(|| format!("<{message_id}>"))
}

/// Reads a whole message (`RFC822`) or only its header (a message too large to fetch).
pub fn parse(raw: &[u8]) -> Incoming {
    match MessageParser::default().parse(raw) {
        Some(message) => read(&message),
        None => Incoming {
            subject: String::new(),
            text: String::from_utf8_lossy(raw).into_owned(),
            malformed: true,
            ..Incoming::default()
        },
    }
}

fn read(message: &mail_parser::Message<'_>) -> Incoming {
    let sender = message.from().and_then(|from| from.first());
    let from = sender
        .and_then(|addr| addr.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@'));
    let from_name = sender
        .and_then(|addr| addr.name())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let subject = message.subject().unwrap_or_default().trim().to_owned();
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let mut images = Vec::new();
    let mut other_attachments = Vec::new();
    for part in message.attachments() {
        let name = part
            .attachment_name()
            .map(str::to_owned)
            .unwrap_or_else(|| "(sin nombre)".to_owned());
        let kind = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            })
            .unwrap_or_default()
            .to_lowercase();
        if kind.starts_with("image/") && !part.contents().is_empty() {
            images.push(Image {
                name,
                bytes: part.contents().to_vec(),
            });
        } else {
            other_attachments.push(format!(
                "{name} ({} KB)",
                part.contents().len().div_ceil(1024)
            ));
        }
    }
    let header_text = |name: &str| -> Option<String> {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let auto_submitted = header_text("Auto-Submitted").is_some_and(|v| v.starts_with("auto-"));
    let precedence = header_text("Precedence")
        .is_some_and(|v| ["bulk", "junk", "list"].iter().any(|p| v.starts_with(p)));
    let list = header_text("List-Id").is_some() || header_text("List-Unsubscribe").is_some();
    let daemon = from.as_deref().is_some_and(|a| {
        let local = a.split('@').next().unwrap_or_default();
        local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster")
    });
    let empty_return_path = header_text("Return-Path").is_some_and(|v| {
        let v = v.trim();
        v.is_empty() || v == "<>"
    });
    let report = message.content_type().is_some_and(|ct| {
        ct.subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let mut replies_to = Vec::new();
    for value in [message.in_reply_to(), message.references()] {
        match value {
            HeaderValue::Text(id) => replies_to.push(id.to_string()),
            HeaderValue::TextList(ids) => replies_to.extend(ids.iter().map(|id| id.to_string())),
            _ => {}
        }
    }
    Incoming {
        message_id: message
            .message_id()
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty()),
        from,
        from_name,
        case_number: case_number(&subject),
        subject,
        text,
        images,
        other_attachments,
        automatic: auto_submitted || precedence || list || daemon || empty_return_path || report,
        replies_to,
        malformed: false,
    }
}

/// The first `[SAT-YYYY-NNNNNN]` in a subject.
pub fn case_number(subject: &str) -> Option<String> {
    let mut rest = subject;
    while let Some(start) = rest.find("[SAT-") {
        let candidate = &rest[start + 1..];
        if let Some(end) = candidate.find(']') {
            let number = &candidate[..end];
            let mut parts = number.splitn(3, '-');
            let (_, year, seq) = (parts.next(), parts.next(), parts.next());
            if let (Some(year), Some(seq)) = (year, seq)
                && year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && !seq.is_empty()
                && seq.bytes().all(|b| b.is_ascii_digit())
            {
                return Some(number.to_owned());
            }
        }
        rest = &rest[start + 5..];
    }
    None
}

/// `text` cut to at most `max` characters, ending with `note` when something was cut.
pub fn fit(text: &str, max: usize, note: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(note.chars().count() + 2);
    let cut: String = text.chars().take(keep).collect();
    format!("{}\n\n{note}", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_plain_message() {
        let raw = b"From: Ana Ruiz <Ana@Example.gov.co>\r\nTo: mesa@example.gov.co\r\n\
            Subject: No imprime\r\nMessage-ID: <abc@example.gov.co>\r\n\r\nLa impresora no imprime.\r\n";
        let mail = parse(raw);
        assert_eq!(mail.from.as_deref(), Some("ana@example.gov.co"));
        assert_eq!(mail.from_name.as_deref(), Some("Ana Ruiz"));
        assert_eq!(mail.subject, "No imprime");
        assert_eq!(mail.message_id.as_deref(), Some("abc@example.gov.co"));
        assert!(mail.text.contains("no imprime"));
        assert!(!mail.automatic);
    }

    #[test]
    fn html_only_becomes_text() {
        let raw = b"From: a@b.co\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
            <html><body><p>El <b>monitor</b> parpadea</p></body></html>\r\n";
        let mail = parse(raw);
        assert!(mail.text.contains("monitor"), "{}", mail.text);
        assert!(!mail.text.contains('<'), "{}", mail.text);
    }

    #[test]
    fn robots_are_recognised() {
        for header in [
            "Auto-Submitted: auto-replied",
            "Precedence: bulk",
            "Precedence: list",
            "Return-Path: <>",
        ] {
            let raw = format!("From: a@b.co\r\n{header}\r\nSubject: x\r\n\r\nhola\r\n");
            assert!(parse(raw.as_bytes()).automatic, "{header}");
        }
        let bounce = b"From: MAILER-DAEMON@b.co\r\nSubject: Undelivered\r\n\r\nx\r\n";
        assert!(parse(bounce).automatic);
        let person = b"From: a@b.co\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\nhola\r\n";
        assert!(!parse(person).automatic);
    }

    #[test]
    fn finds_the_case_number() {
        assert_eq!(
            case_number("RE: [SAT-2026-000123] Recibimos su solicitud").as_deref(),
            Some("SAT-2026-000123")
        );
        assert_eq!(
            case_number("[SAT-20x6-1] [SAT-2026-7]").as_deref(),
            Some("SAT-2026-7")
        );
        assert_eq!(case_number("SAT-2026-000123"), None);
    }

    #[test]
    fn fits_long_text() {
        let long = "a".repeat(5000);
        let fitted = fit(&long, 4000, "(recortado)");
        assert_eq!(fitted.chars().count(), 4000);
        assert!(fitted.ends_with("(recortado)"));
    }

    #[test]
    fn only_a_plain_message_id_becomes_a_reply_reference() {
        assert_eq!(
            reply_reference("abc.123@example.gov.co").as_deref(),
            Some("<abc.123@example.gov.co>")
        );
        assert_eq!(reply_reference("a b@example.gov.co"), None);
        assert_eq!(reply_reference("a@b>\r\nBcc: x@y"), None);
        assert_eq!(reply_reference("año@example.gov.co"), None);
        assert_eq!(reply_reference(&"x".repeat(300)), None);
        assert_eq!(reply_reference(""), None);
    }
}
