//! A report as a real spreadsheet: one sheet per table — a header row, numbers as numbers
//! (money in major units with its currency's format, shares as percentages, durations as
//! durations, dates as dates), the total row in bold — and a sheet with the filters used.
//!
//! Words come from `labels` when the caller gives them (the app passes its translations):
//! `table.KEY` names a sheet, `column.KEY` a header, `filter.KEY` a filter, and
//! `CODES:VALUE` a code (`dict:customer_grade:A`, `enum:opportunity.stage:won`). Without them
//! the keys and codes are written as they are. People are written by their names.

use std::collections::HashMap;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::Value as Json;

use super::{Cell, Column, Report};
use crate::error::{Error, Result};

fn failed(e: XlsxError) -> Error {
    Error::Io(std::io::Error::other(format!("writing the spreadsheet: {e}")))
}

/// Excel's sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}

struct Formats {
    bold: Format,
    money: Format,
    money_bold: Format,
    percent: Format,
    hundredths: Format,
    duration: Format,
    date: Format,
}

/// Write `report`; `people` names users by id.
pub fn write(report: &Report, labels: &HashMap<String, String>, people: &HashMap<String, String>) -> Result<Vec<u8>> {
    let word = |key: String| labels.get(&key).cloned();
    let currency = report.filters.get("currency").and_then(Json::as_str).unwrap_or("CNY");
    let money_format = format!("\"{}\"#,##0.00", crate::value::currency_prefix(currency).trim_end());
    let formats = Formats {
        bold: Format::new().set_bold(),
        money: Format::new().set_num_format(&money_format),
        money_bold: Format::new().set_num_format(&money_format).set_bold(),
        percent: Format::new().set_num_format("0.00%"),
        hundredths: Format::new().set_num_format("0.00"),
        duration: Format::new().set_num_format("[h]:mm"),
        date: Format::new().set_num_format("yyyy-mm-dd"),
    };
    let mut book = Workbook::new();
    for table in &report.tables {
        let sheet = book.add_worksheet();
        let name = word(format!("table.{}", table.key)).unwrap_or_else(|| table.key.to_string());
        sheet.set_name(sheet_name(&name)).map_err(failed)?;
        for (c, column) in table.columns.iter().enumerate() {
            let header = word(format!("column.{}", column.key))
                .or_else(|| column.codes.as_ref().and_then(|codes| word(format!("{codes}:{}", column.key))))
                .unwrap_or_else(|| column.key.clone());
            sheet.write_string_with_format(0, c as u16, &header, &formats.bold).map_err(failed)?;
            sheet.set_column_width(c as u16, if column.cell == Cell::Text { 28 } else { 14 }).map_err(failed)?;
        }
        let mut r = 1u32;
        for row in &table.rows {
            write_row(sheet, r, &table.columns, &row.cells, &formats, false, labels, people)?;
            r += 1;
        }
        if let Some(totals) = &table.totals {
            write_row(sheet, r, &table.columns, totals, &formats, true, labels, people)?;
        }
    }
    // The filters used.
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(&word("table.filters".into()).unwrap_or_else(|| "filters".into()))).map_err(failed)?;
    sheet.set_column_width(0, 18).map_err(failed)?;
    sheet.set_column_width(1, 28).map_err(failed)?;
    sheet
        .write_string_with_format(0, 0, word("filter.report".into()).unwrap_or_else(|| "report".into()), &formats.bold)
        .map_err(failed)?;
    sheet
        .write_string(0, 1, word(format!("report.{}", report.name)).unwrap_or_else(|| report.name.to_string()))
        .map_err(failed)?;
    for (i, (key, value)) in report.filters.iter().enumerate() {
        let r = i as u32 + 1;
        sheet
            .write_string_with_format(r, 0, word(format!("filter.{key}")).unwrap_or_else(|| key.clone()), &formats.bold)
            .map_err(failed)?;
        let text = match value {
            Json::Null => String::new(),
            Json::String(s) if key == "owner" => people.get(s).cloned().unwrap_or_else(|| s.clone()),
            Json::String(s) => word(format!("filter.{key}:{s}")).unwrap_or_else(|| s.clone()),
            other => other.to_string(),
        };
        sheet.write_string(r, 1, text).map_err(failed)?;
    }
    book.save_to_buffer().map_err(failed)
}

#[allow(clippy::too_many_arguments)]
fn write_row(
    sheet: &mut Worksheet,
    r: u32,
    columns: &[Column],
    cells: &serde_json::Map<String, Json>,
    formats: &Formats,
    total: bool,
    labels: &HashMap<String, String>,
    people: &HashMap<String, String>,
) -> Result<()> {
    for (c, column) in columns.iter().enumerate() {
        let c = c as u16;
        let Some(value) = cells.get(&column.key).filter(|v| !v.is_null()) else { continue };
        let number = value.as_i64();
        let bold = |f: &Format| if total { f.clone().set_bold() } else { f.clone() };
        let written = match (column.cell, number) {
            (Cell::Money, Some(minor)) => sheet.write_number_with_format(
                r,
                c,
                minor as f64 / 100.0,
                if total { &formats.money_bold } else { &formats.money },
            ),
            (Cell::Percent, Some(bp)) => {
                sheet.write_number_with_format(r, c, bp as f64 / 10_000.0, &bold(&formats.percent))
            }
            (Cell::Hundredths, Some(h)) => {
                sheet.write_number_with_format(r, c, h as f64 / 100.0, &bold(&formats.hundredths))
            }
            (Cell::Seconds, Some(s)) => {
                sheet.write_number_with_format(r, c, s as f64 / 86_400.0, &bold(&formats.duration))
            }
            (Cell::Count, Some(n)) => sheet.write_number_with_format(r, c, n as f64, &bold(&Format::new())),
            (Cell::Date, _) => match value.as_str().and_then(|d| ExcelDateTime::parse_from_str(d).ok()) {
                Some(d) => sheet.write_datetime_with_format(r, c, d, &bold(&formats.date)),
                None => sheet.write_string(r, c, value.to_string()),
            },
            _ => {
                let text = match value {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let text = match column.cell {
                    Cell::User => people.get(&text).cloned().unwrap_or(text),
                    Cell::Code => column
                        .codes
                        .as_ref()
                        .and_then(|codes| labels.get(&format!("{codes}:{text}")).cloned())
                        .unwrap_or(text),
                    _ => text,
                };
                sheet.write_string_with_format(r, c, text, &bold(&Format::new()))
            }
        };
        written.map_err(failed)?;
    }
    Ok(())
}
