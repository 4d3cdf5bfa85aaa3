//! Reading a CSV file as people export it from a spreadsheet, for the imports (equipment,
//! users): UTF-8 with or without a BOM, `;` or `,` as separator (whichever the header uses),
//! header names compared without case or accents, and errors told by the line of the file
//! where they are, as the spreadsheet numbers it.

/// Largest CSV body an import accepts (about 20 000 rows).
pub const MAX_CSV_BODY: usize = 4 * 1024 * 1024;

/// Errors found, each with the line number of the file where it is (1 is the header).
pub type LineErrors = Vec<(usize, String)>;

/// The text of the file without its BOM, or the error to show when it is not UTF-8.
pub fn text(bytes: &[u8]) -> Result<&str, LineErrors> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![(
            1,
            "El archivo no está en UTF-8. Guárdelo como «CSV UTF-8» y vuelva a enviarlo.".into(),
        )]);
    };
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// A reader of `text` with a header row, separated by `;` when its header has more of them than
/// commas (the spreadsheets of a Spanish-speaking office), else by `,`. Rows may have another
/// number of fields than the header: the caller says which line is wrong.
pub fn reader(text: &str) -> csv::Reader<&[u8]> {
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.matches(';').count() > header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes())
}

/// `text` trimmed, in lower case and without Spanish accents, for comparing what people type
/// («Código», «TÉCNICO») with the names Campo knows.
pub fn fold(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' | 'ü' => 'u',
            'ñ' => 'n',
            c => c,
        })
        .collect()
}

/// The 1-based line of the file at byte `offset` (where the reader says a record starts).
pub fn line_at(text: &str, offset: u64) -> usize {
    let mut end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    // A record's position is where the reader began, before the blank lines it skipped.
    while matches!(text.as_bytes().get(end), Some(b'\n' | b'\r')) {
        end += 1;
    }
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold(" Número de Cédula "), "numero de cedula");
        assert_eq!(fold("TÉCNICO"), "tecnico");
    }

    #[test]
    fn chooses_the_separator_of_the_header() {
        let mut semicolons = reader("a;b,c\n1;2,3\n");
        assert_eq!(semicolons.headers().unwrap().len(), 2);
        let mut commas = reader("a,b;c\n1,2;3\n");
        assert_eq!(commas.headers().unwrap().len(), 2);
    }

    #[test]
    fn rejects_other_encodings_and_drops_the_bom() {
        assert_eq!(text("\u{feff}a;b".as_bytes()).unwrap(), "a;b");
        let latin1 = b"nombre\nJos\xe9\n";
        assert_eq!(text(latin1).unwrap_err()[0].0, 1);
    }
}
