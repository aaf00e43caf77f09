//! Spreadsheets in and out: a table of text cells read from `.xlsx`, `.xls` or `.csv` (UTF-8,
//! or the GBK/GB18030 that Chinese Excel writes), and written as `.xlsx` or UTF-8 `.csv`.
//! The importer reads with [`read`]; rejected rows and exports are written with [`write`].

use std::io::Cursor;

use calamine::{Data, Reader};
use chrono::{Duration, NaiveDate};

use crate::error::{Error, Result};

/// A sheet as text: the first non-empty row is the header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// What the bytes were read as: `xlsx`, `xls`, `csv-utf8` or `csv-gbk`.
    pub format: &'static str,
}

/// A file format for [`write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    /// From a file name's extension (`.xlsx` or `.csv`).
    pub fn of(name: &str) -> Option<Format> {
        match extension(name).as_str() {
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

fn extension(name: &str) -> String {
    name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
}

fn unreadable(detail: impl std::fmt::Display) -> Error {
    Error::Unreadable(detail.to_string())
}

/// Read a spreadsheet. The format comes from the file's first bytes (a zip is `.xlsx`, an OLE
/// container `.xls`), else it is CSV; `name` is only used in messages.
pub fn read(name: &str, bytes: &[u8]) -> Result<Sheet> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    let mut sheet =
        if bytes.starts_with(ZIP) || bytes.starts_with(OLE) { read_workbook(name, bytes)? } else { read_csv(bytes)? };
    // Trailing empty columns and fully empty rows are Excel's, not the data's.
    sheet.rows.retain(|r| r.iter().any(|c| !c.trim().is_empty()));
    while sheet.headers.last().is_some_and(|h| h.trim().is_empty())
        && sheet.rows.iter().all(|r| r.get(sheet.headers.len() - 1).is_none_or(|c| c.trim().is_empty()))
    {
        sheet.headers.pop();
    }
    let width = sheet.headers.len();
    for row in &mut sheet.rows {
        row.resize(width, String::new());
    }
    if width == 0 {
        return Err(unreadable(format!("{name}: no header row (the first non-empty row names the columns)")));
    }
    Ok(sheet)
}

fn read_workbook(name: &str, bytes: &[u8]) -> Result<Sheet> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| unreadable(format!("{name}: not a readable Excel file ({e})")))?;
    let format = match book {
        calamine::Sheets::Xls(_) => "xls",
        _ => "xlsx",
    };
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable(format!("{name}: the workbook has no sheet")))?
        .map_err(|e| unreadable(format!("{name}: the first sheet cannot be read ({e})")))?;
    let mut rows = range.rows().map(|r| r.iter().map(cell_text).collect::<Vec<_>>());
    let headers = rows
        .by_ref()
        .find(|r| r.iter().any(|c| !c.trim().is_empty()))
        .ok_or_else(|| unreadable(format!("{name}: the first sheet is empty")))?;
    Ok(Sheet { headers: headers.into_iter().map(|h| h.trim().to_string()).collect(), rows: rows.collect(), format })
}

/// A cell as the text a person sees: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_serial_date(d.as_f64(), d.is_datetime()),
    }
}

/// An Excel serial day number (1900 system) as `YYYY-MM-DD`, with ` HH:MM` when it has a time.
pub fn excel_serial_date(serial: f64, with_time: bool) -> String {
    let Some(epoch) = NaiveDate::from_ymd_opt(1899, 12, 30) else { return serial.to_string() };
    let days = serial.floor() as i64;
    let date = epoch + Duration::days(days);
    let minutes = ((serial - serial.floor()) * 24.0 * 60.0).round() as i64;
    if with_time && minutes > 0 {
        format!("{} {:02}:{:02}", date.format("%Y-%m-%d"), minutes / 60, minutes % 60)
    } else {
        date.format("%Y-%m-%d").to_string()
    }
}

fn read_csv(bytes: &[u8]) -> Result<Sheet> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (text, format) = match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "csv-utf8"),
        Err(_) => {
            // Not UTF-8: what Chinese Excel saves as "CSV" (GBK; GB18030 is its superset).
            let (text, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err(unreadable(
                    "the CSV file is neither UTF-8 nor GBK; save it from Excel as \"CSV UTF-8\" and import again",
                ));
            }
            (text.into_owned(), "csv-gbk")
        }
    };
    let delimiter = sniff_delimiter(&text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| unreadable(format!("line {}: {e}", i + 1)))?;
        rows.push(record.iter().map(str::to_string).collect::<Vec<_>>());
    }
    let mut rows = rows.into_iter();
    let headers = rows.by_ref().find(|r| r.iter().any(|c| !c.trim().is_empty())).unwrap_or_default();
    Ok(Sheet { headers: headers.into_iter().map(|h| h.trim().to_string()).collect(), rows: rows.collect(), format })
}

/// Comma unless the first line has more tabs or semicolons (some exports use them).
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let count = |c: char| first.matches(c).count();
    [(b'\t', count('\t')), (b';', count(';'))]
        .into_iter()
        .filter(|(_, n)| *n > count(','))
        .max_by_key(|(_, n)| *n)
        .map(|(d, _)| d)
        .unwrap_or(b',')
}

/// Write a table: `.xlsx` (one sheet, a bold header row) or UTF-8 `.csv` with a byte-order
/// mark, so Excel opens it with the Chinese intact.
pub fn write(format: Format, headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    match format {
        Format::Csv => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut out);
                let failed = |e: csv::Error| Error::Io(std::io::Error::other(e.to_string()));
                w.write_record(headers).map_err(failed)?;
                for row in rows {
                    w.write_record(row).map_err(failed)?;
                }
                w.flush()?;
            }
            Ok(out)
        }
        Format::Xlsx => {
            let failed = |e: rust_xlsxwriter::XlsxError| {
                Error::Io(std::io::Error::other(format!("writing the spreadsheet: {e}")))
            };
            let mut book = rust_xlsxwriter::Workbook::new();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let sheet = book.add_worksheet();
            for (c, h) in headers.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, h, &bold).map_err(failed)?;
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    if !cell.is_empty() {
                        sheet.write_string(r as u32 + 1, c as u16, cell).map_err(failed)?;
                    }
                }
            }
            book.save_to_buffer().map_err(failed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_utf8_and_gbk_reads_the_same() {
        let text = "客户名称,手机\n杭州西湖茶业,13800001111\n";
        let utf8 = read("a.csv", text.as_bytes()).unwrap();
        let (gbk_bytes, _, _) = encoding_rs::GBK.encode(text);
        let gbk = read("a.csv", &gbk_bytes).unwrap();
        assert_eq!((utf8.format, gbk.format), ("csv-utf8", "csv-gbk"));
        assert_eq!(utf8.headers, gbk.headers);
        assert_eq!(utf8.rows, gbk.rows);
        assert_eq!(gbk.rows[0], vec!["杭州西湖茶业", "13800001111"]);
    }

    #[test]
    fn xlsx_written_reads_back() {
        let headers = vec!["名称".to_string(), "备注".to_string()];
        let rows = vec![vec!["甲".to_string(), String::new()], vec!["乙".to_string(), "x,y".to_string()]];
        let bytes = write(Format::Xlsx, &headers, &rows).unwrap();
        let sheet = read("out.xlsx", &bytes).unwrap();
        assert_eq!((sheet.format, sheet.headers.clone(), sheet.rows.clone()), ("xlsx", headers.clone(), rows.clone()));
        let csv = write(Format::Csv, &headers, &rows).unwrap();
        assert_eq!(read("out.csv", &csv).unwrap().rows, rows);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = read("x.xlsx", b"PK\x03\x04garbage").unwrap_err().to_string();
        assert!(err.contains("not a readable Excel file"), "{err}");
        assert!(read("x.csv", b"").is_err());
        assert_eq!(excel_serial_date(45366.0, false), "2024-03-15");
    }
}
