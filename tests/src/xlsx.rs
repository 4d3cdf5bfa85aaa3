//! Reads back what a spreadsheet program would show from an XLSX file: an XLSX is a zip of XML
//! parts, read here with the central directory and `miniz_oxide` (no zip crate needed).

use std::collections::HashMap;

/// The files of a zip archive by name (stored or deflated entries, as XLSX writers make them).
pub fn unzip(bytes: &[u8]) -> anyhow::Result<HashMap<String, Vec<u8>>> {
    let u16_at = |at: usize| -> anyhow::Result<usize> {
        let b = bytes
            .get(at..at + 2)
            .ok_or_else(|| anyhow::anyhow!("truncated zip"))?;
        Ok(u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |at: usize| -> anyhow::Result<usize> {
        let b = bytes
            .get(at..at + 4)
            .ok_or_else(|| anyhow::anyhow!("truncated zip"))?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let end = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .ok_or_else(|| anyhow::anyhow!("not a zip: no end of central directory"))?;
    let entries = u16_at(end + 10)?;
    let mut at = u32_at(end + 16)?;
    let mut files = HashMap::new();
    for _ in 0..entries {
        anyhow::ensure!(
            bytes.get(at..at + 4) == Some(b"PK\x01\x02"),
            "bad central directory"
        );
        let method = u16_at(at + 10)?;
        let compressed = u32_at(at + 20)?;
        let name_len = u16_at(at + 28)?;
        let extra_len = u16_at(at + 30)?;
        let comment_len = u16_at(at + 32)?;
        let local = u32_at(at + 42)?;
        let name = String::from_utf8_lossy(&bytes[at + 46..at + 46 + name_len]).into_owned();
        at += 46 + name_len + extra_len + comment_len;
        let data_at = local + 30 + u16_at(local + 26)? + u16_at(local + 28)?;
        let data = bytes
            .get(data_at..data_at + compressed)
            .ok_or_else(|| anyhow::anyhow!("truncated entry {name}"))?;
        let content = match method {
            0 => data.to_vec(),
            8 => miniz_oxide::inflate::decompress_to_vec(data)
                .map_err(|e| anyhow::anyhow!("cannot inflate {name}: {e:?}"))?,
            other => anyhow::bail!("{name}: compression method {other} not supported"),
        };
        files.insert(name, content);
    }
    Ok(files)
}

/// A text cell of a worksheet, as a spreadsheet program shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextCell {
    /// `xl/worksheets/sheet2.xml`
    pub sheet: String,
    /// `K2`
    pub reference: String,
    pub text: String,
    /// Whether its style carries Excel's quote prefix (shown and kept as text, never a formula).
    pub quote_prefix: bool,
}

/// Every text cell of every worksheet, and whether any cell holds a formula (`<f>`).
pub fn text_cells(bytes: &[u8]) -> anyhow::Result<(Vec<TextCell>, bool)> {
    let files = unzip(bytes)?;
    let part = |name: &str| -> String {
        files
            .get(name)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let shared: Vec<String> = part("xl/sharedStrings.xml")
        .split("<si>")
        .skip(1)
        .map(|si| {
            si.split("<t")
                .skip(1)
                .filter_map(|t| {
                    let body = &t[t.find('>')? + 1..];
                    Some(unescape(&body[..body.find("</t>")?]))
                })
                .collect()
        })
        .collect();
    let styles = part("xl/styles.xml");
    let xfs = styles
        .split("<cellXfs")
        .nth(1)
        .and_then(|s| s.split("</cellXfs>").next())
        .unwrap_or_default();
    let quoted: Vec<bool> = xfs
        .split("<xf ")
        .skip(1)
        .map(|xf| {
            let attributes = &xf[..xf.find('>').unwrap_or(xf.len())];
            attributes.contains("quotePrefix=\"1\"")
        })
        .collect();
    let mut sheets: Vec<&String> = files
        .keys()
        .filter(|n| n.starts_with("xl/worksheets/") && n.ends_with(".xml"))
        .collect();
    sheets.sort();
    let mut cells = Vec::new();
    let mut formulas = false;
    for sheet in sheets {
        let xml = part(sheet);
        formulas |= xml.contains("<f>") || xml.contains("<f ");
        for c in xml.split("<c ").skip(1) {
            let open = &c[..c.find('>').unwrap_or(c.len())];
            let attribute = |name: &str| {
                let key = format!("{name}=\"");
                open.find(&key).map(|i| {
                    let rest = &open[i + key.len()..];
                    rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
                })
            };
            let style: usize = attribute("s").and_then(|s| s.parse().ok()).unwrap_or(0);
            let value = c
                .split("<v>")
                .nth(1)
                .and_then(|v| v.split("</v>").next())
                .map(unescape);
            let text = match attribute("t").as_deref() {
                Some("s") => value
                    .and_then(|v| v.parse::<usize>().ok())
                    .and_then(|i| shared.get(i).cloned()),
                Some("str") => value,
                Some("inlineStr") => c
                    .split("<t")
                    .nth(1)
                    .and_then(|t| Some(unescape(t[t.find('>')? + 1..].split("</t>").next()?))),
                _ => None,
            };
            if let Some(text) = text {
                cells.push(TextCell {
                    sheet: sheet.clone(),
                    reference: attribute("r").unwrap_or_default(),
                    text,
                    quote_prefix: quoted.get(style).copied().unwrap_or(false),
                });
            }
        }
    }
    Ok((cells, formulas))
}

fn unescape(xml: &str) -> String {
    xml.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#9;", "\t")
        .replace("&#xD;", "\r")
        .replace("&#13;", "\r")
        .replace("&#10;", "\n")
        .replace("&amp;", "&")
}
