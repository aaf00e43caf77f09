//! A sales document printed as a PDF (报价单, 合同, 销售订单): the company's name, the
//! customer, the lines and the figures, in Chinese, made on the device with no network. The
//! Chinese font is bundled (`assets/fonts`, a GB2312 subset of Noto Sans CJK SC); the PDF
//! embeds only the glyphs it uses, with their Unicode text, so viewers can search and copy it.

use std::sync::{Arc, OnceLock};

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use serde_json::Value as Json;

use super::sales::{DocumentMoney, Totals};
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::store::Store;
use crate::value::format_thousandths;

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-GB2312.otf");

fn font() -> Result<Font> {
    static FONT: OnceLock<Option<Font>> = OnceLock::new();
    FONT.get_or_init(|| Font::new(Arc::new(FONT_BYTES.to_vec()).into(), 0))
        .clone()
        .ok_or_else(|| Error::Corrupt("the bundled font cannot be read".into()))
}

/// A4 in points, and the margins.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 48.0;
const RIGHT: f32 = WIDTH - 48.0;
const LINES_PER_PAGE: usize = 24;

/// Minor units as money text: 123456 CNY is `¥1,234.56`.
pub fn format_money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let (whole, cents) = (minor.unsigned_abs() / 100, minor.unsigned_abs() % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{}{grouped}.{cents:02}", crate::value::currency_prefix(currency))
}

/// Roughly how wide `text` is at `size` (Latin digits half an em, Chinese a full em): enough
/// to right-align figures in a column.
fn width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| if c.is_ascii() { 0.55 } else { 1.0 }).sum::<f32>() * size
}

struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
    font: Font,
}

impl Pen<'_, '_> {
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        self.surface.draw_text(Point::from_xy(x, y), self.font.clone(), size, text, false, TextDirection::Auto);
    }

    fn right(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.text(x - width(text, size), y, size, text);
    }

    fn rule(&mut self, y: f32, grey: u8) {
        let mut path = PathBuilder::new();
        if let Some(rect) = Rect::from_xywh(LEFT, y, RIGHT - LEFT, 0.6) {
            path.push_rect(rect);
        }
        if let Some(path) = path.finish() {
            self.surface.set_fill(Some(Fill { paint: rgb::Color::new(grey, grey, grey).into(), ..Fill::default() }));
            self.surface.draw_path(&path);
            self.surface.set_fill(Some(Fill::default()));
        }
    }
}

/// Title words per kind.
fn heading(kind: Kind) -> &'static str {
    match kind {
        Kind::Quote => "报价单 Quotation",
        Kind::Contract => "销售合同 Sales contract",
        _ => "销售订单 Sales order",
    }
}

impl Store {
    /// A quote, contract or order as a PDF file: its name and bytes.
    pub fn document_pdf(&mut self, id: &str) -> Result<(String, Vec<u8>)> {
        let kind = self.kind_of(id)?;
        if !matches!(kind, Kind::Quote | Kind::Contract | Kind::Order) {
            return Err(Error::field("id", "not_a_sales_document"));
        }
        let view = self.get(id)?;
        let money = self.with_doc(id, |doc| Ok(DocumentMoney::of(kind, doc)))?;
        let totals = money.totals().ok_or_else(|| Error::field("lines", "quantity_not_positive"))?;
        let company = crate::settings::stored_text(&self.conn, "company.name")?.unwrap_or_default();
        let text = |name: &str| view.fields.get(name).and_then(Json::as_str).unwrap_or_default().to_string();
        let name_of = |field: &str| view.names.get(&text(field)).cloned().unwrap_or_default();
        let code = text("code");
        let mut facts: Vec<(&str, String)> = vec![("编号 No.", code.clone()), ("客户 Customer", name_of("customer"))];
        if view.fields.contains_key("contact") {
            facts.push(("联系人 Contact", name_of("contact")));
        }
        match kind {
            Kind::Quote => facts.push(("有效期至 Valid until", text("valid_until"))),
            Kind::Contract => facts.push(("签订日期 Signed", text("signed_date"))),
            _ => facts.push(("下单时间 Ordered", text("ordered_at").chars().take(10).collect())),
        }
        facts.push(("日期 Date", crate::settings::today(&self.conn)?.format("%Y-%m-%d").to_string()));
        // A quote nobody may send yet (a draft, or waiting for or refused approval) says so,
        // so an unapproved price does not reach a customer on paper as if it were offered.
        let draft = kind == Kind::Quote && ["draft", "pending", "rejected"].contains(&text("status").as_str());
        let bytes = render(kind, draft, &company, &text("title"), &facts, &money, &totals)?;
        let file = if code.is_empty() { format!("{kind}.pdf") } else { format!("{code}.pdf") };
        Ok((file, bytes))
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    kind: Kind,
    draft: bool,
    company: &str,
    title: &str,
    facts: &[(&str, String)],
    money: &DocumentMoney,
    totals: &Totals,
) -> Result<Vec<u8>> {
    let font = font()?;
    let mut document = Document::new();
    let cur = money.currency.as_str();
    let pages: Vec<&[crate::items::Item]> =
        if money.lines.is_empty() { vec![&[]] } else { money.lines.chunks(LINES_PER_PAGE).collect() };
    let count = pages.len();
    let columns = [LEFT, LEFT + 24.0, LEFT + 250.0, LEFT + 300.0, LEFT + 380.0];
    for (p, lines) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(WIDTH, HEIGHT).ok_or_else(|| Error::Corrupt("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut pen = Pen { surface: &mut surface, font: font.clone() };
        let mut y = 64.0;
        pen.text(LEFT, y, 16.0, if company.is_empty() { "Field CRM" } else { company });
        y += 26.0;
        pen.text(LEFT, y, 20.0, heading(kind));
        if draft {
            pen.text(LEFT + width(heading(kind), 20.0) + 12.0, y, 14.0, "（草稿 DRAFT，未经审批）");
        }
        if !title.is_empty() {
            pen.right(RIGHT, y, 11.0, title);
        }
        y += 24.0;
        for (label, value) in facts {
            pen.text(LEFT, y, 10.0, label);
            pen.text(LEFT + 120.0, y, 10.0, value);
            y += 16.0;
        }
        y += 10.0;
        for (x, header) in columns.iter().zip(["#", "品名 Item", "单位 Unit", "数量 Qty", "单价 Price"]) {
            pen.text(*x, y, 9.5, header);
        }
        pen.right(RIGHT, y, 9.5, "金额 Amount");
        y += 6.0;
        pen.rule(y, 90);
        y += 16.0;
        for (i, line) in lines.iter().enumerate() {
            let n = p * LINES_PER_PAGE + i;
            let amount = totals.lines.get(n).map(|l| l.amount).unwrap_or(0);
            pen.text(columns[0], y, 9.5, &(n + 1).to_string());
            let name: String = line.text("name").unwrap_or_default().chars().take(26).collect();
            pen.text(columns[1], y, 9.5, &name);
            pen.text(columns[2], y, 9.5, line.text("unit").unwrap_or_default());
            pen.right(columns[3] + 50.0, y, 9.5, &format_thousandths(line.int("quantity")));
            pen.right(columns[4] + 70.0, y, 9.5, &format_money(line.int("unit_price"), cur));
            pen.right(RIGHT, y, 9.5, &format_money(amount, cur));
            y += 18.0;
        }
        pen.rule(y - 10.0, 170);
        if p + 1 == count {
            y += 6.0;
            let mut figures = vec![("小计 Subtotal", totals.subtotal)];
            if totals.discount > 0 {
                figures.push(("整单优惠 Discount", -totals.discount));
            }
            figures.push(("合计 Total (含税 tax incl.)", totals.total));
            figures.push(("其中税额 of which tax", totals.tax));
            for (label, minor) in figures {
                pen.text(columns[3] - 40.0, y, 10.0, label);
                pen.right(RIGHT, y, 10.0, &format_money(minor, cur));
                y += 16.0;
            }
        }
        pen.right(RIGHT, HEIGHT - 36.0, 8.0, &format!("{} / {}", p + 1, count));
        drop(pen);
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| Error::Corrupt(format!("the PDF could not be written: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_with_its_symbol_and_thousands() {
        assert_eq!(format_money(123_456, "CNY"), "¥1,234.56");
        assert_eq!(format_money(-5, "CNY"), "-¥0.05");
        assert_eq!(format_money(100_000_000, "USD"), "$1,000,000.00");
        assert_eq!(format_money(1, "EUR"), "EUR 0.01");
    }
}
