//! Sales funnel and forecast (销售漏斗与预测): the opportunities expected to close in the period
//! (or, with no expected close, opened in it) by stage — how many, for how much, and what share
//! of those that reached one stage reached the next; and by expected close period, the open
//! pipeline, the forecast (each open opportunity's amount × its probability, or its stage's
//! usual probability when none is set, rounded once per opportunity), what was won, and the
//! won target of the people counted (`sales_target`, by month).
//!
//! "Reached" reads the stage an opportunity is at now: one at `proposal` reached `lead`,
//! `qualified` and `proposal`; a won one reached them all. A lost one counts as having reached
//! the first stage only, as the read model does not keep the stage it was lost at.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde_json::json;

use super::{cells, chart, code_col, col, period::parse_date, share, Cell, Context, Drill, Report, Row, Table};
use crate::error::Result;
use crate::kind::{Kind, STAGES};

/// A stage's usual probability, in percent, for an opportunity that has none.
pub fn stage_probability(stage: &str) -> i64 {
    match stage {
        "lead" => 10,
        "qualified" => 25,
        "proposal" => 50,
        "negotiation" => 75,
        "won" => 100,
        _ => 0,
    }
}

/// `amount` × `percent` / 100 in minor units, by the one rounding rule (`sales::div_round`).
pub fn weighted(amount: i64, percent: i64) -> i64 {
    crate::domain::sales::div_round(i128::from(amount) * i128::from(percent), 100) as i64
}

struct Opportunity {
    id: String,
    stage: String,
    amount: i64,
    probability: Option<i64>,
    bucket: Option<String>,
}

pub fn run(conn: &Connection, ctx: &Context) -> Result<Report> {
    let (first, last) = ctx.period.day_bounds();
    let (start, end) = ctx.period.bounds_ms();
    let sql = format!(
        "SELECT id, stage, amount_minor, amount_currency, probability, expected_close FROM p_opportunity
         WHERE deleted_at IS NULL AND {owned}
           AND ((expected_close >= '{first}' AND expected_close <= '{last}')
                OR (expected_close IS NULL AND created_at >= {start} AND created_at < {end}))
         ORDER BY id",
        owned = ctx.owned("owner")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut opportunities = Vec::new();
    let mut other_currency = 0;
    for row in rows {
        let (id, stage, amount, currency, probability, close) = row?;
        let amount = match (amount, currency) {
            (Some(a), Some(c)) if c == ctx.currency => a,
            (Some(_), Some(_)) => {
                other_currency += 1;
                continue;
            }
            _ => 0,
        };
        opportunities.push(Opportunity {
            id,
            stage: stage.unwrap_or_else(|| "lead".into()),
            amount,
            probability,
            bucket: close.as_deref().and_then(parse_date).map(|d| ctx.grain.bucket(d)),
        });
    }

    // The funnel: lead → qualified → proposal → negotiation → won, then lost.
    let ladder: Vec<&str> = STAGES.iter().copied().filter(|s| *s != "lost").collect();
    let reached = |o: &Opportunity, step: usize| -> bool {
        match ladder.iter().position(|s| *s == o.stage) {
            Some(at) => at >= step,
            None => step == 0,
        }
    };
    let mut stage_rows = Vec::new();
    let mut before: Option<usize> = None;
    for (step, stage) in ladder.iter().enumerate() {
        let here: Vec<&Opportunity> = opportunities.iter().filter(|o| o.stage == *stage).collect();
        let reaching = opportunities.iter().filter(|o| reached(o, step)).count();
        stage_rows.push(Row {
            cells: cells([
                ("stage", json!(stage)),
                ("opportunities", json!(here.len())),
                ("amount", json!(here.iter().map(|o| o.amount).sum::<i64>())),
                ("reached", json!(reaching)),
                ("conversion", json!(before.and_then(|b| share(reaching as i64, b as i64)))),
            ]),
            drill: Some(Drill::of(Kind::Opportunity, here.iter().map(|o| o.id.clone()).collect())),
        });
        before = Some(reaching);
    }
    let lost: Vec<&Opportunity> = opportunities.iter().filter(|o| o.stage == "lost").collect();
    stage_rows.push(Row {
        cells: cells([
            ("stage", json!("lost")),
            ("opportunities", json!(lost.len())),
            ("amount", json!(lost.iter().map(|o| o.amount).sum::<i64>())),
            ("reached", json!(null)),
            ("conversion", json!(null)),
        ]),
        drill: Some(Drill::of(Kind::Opportunity, lost.iter().map(|o| o.id.clone()).collect())),
    });
    let stages = Table {
        key: "stages",
        columns: vec![
            code_col("stage", "enum:opportunity.stage".into()),
            col("opportunities", Cell::Count),
            col("amount", Cell::Money),
            col("reached", Cell::Count),
            col("conversion", Cell::Percent),
        ],
        rows: stage_rows,
        totals: Some(cells([
            ("opportunities", json!(opportunities.len())),
            ("amount", json!(opportunities.iter().map(|o| o.amount).sum::<i64>())),
        ])),
        chart: chart("funnel", "stage", &["reached"]),
    };

    // The forecast by expected close period.
    let targets = super::performance::targets(conn, ctx)?;
    let mut per: BTreeMap<String, [i64; 3]> =
        ctx.grain.buckets(ctx.period.first, ctx.period.last).into_iter().map(|l| (l, [0; 3])).collect();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in &opportunities {
        let Some(bucket) = &o.bucket else { continue };
        let Some(sums) = per.get_mut(bucket) else { continue };
        match o.stage.as_str() {
            "won" => sums[2] += o.amount,
            "lost" => {}
            stage => {
                sums[0] += o.amount;
                sums[1] += weighted(o.amount, o.probability.unwrap_or_else(|| stage_probability(stage)));
            }
        }
        ids.entry(bucket.clone()).or_default().push(o.id.clone());
    }
    let monthly = !matches!(ctx.grain, super::Grain::Day | super::Grain::Week);
    let forecast_rows = per
        .into_iter()
        .map(|(bucket, [pipeline, forecast, won])| {
            let target = if monthly { targets.won_in(ctx, &bucket) } else { None };
            Row {
                cells: cells([
                    ("period", json!(bucket)),
                    ("pipeline", json!(pipeline)),
                    ("forecast", json!(forecast)),
                    ("won", json!(won)),
                    ("target", json!(target)),
                    ("expected", json!(target.and_then(|t| share(won + forecast, t)))),
                ]),
                drill: Some(Drill::of(Kind::Opportunity, ids.remove(&bucket).unwrap_or_default())),
            }
        })
        .collect();
    let forecast = Table {
        key: "forecast",
        columns: vec![
            col("period", Cell::Period),
            col("pipeline", Cell::Money),
            col("forecast", Cell::Money),
            col("won", Cell::Money),
            col("target", Cell::Money),
            col("expected", Cell::Percent),
        ],
        rows: forecast_rows,
        totals: None,
        chart: chart("bar", "period", &["won", "forecast", "target"]),
    };
    Ok(Report { name: "funnel", filters: serde_json::Map::new(), tables: vec![stages, forecast], other_currency })
}

#[cfg(test)]
mod tests {
    use super::weighted;

    #[test]
    fn a_forecast_rounds_once_half_away_from_zero() {
        assert_eq!(weighted(10_001, 50), 5_001);
        assert_eq!(weighted(9_999, 25), 2_500);
        assert_eq!(weighted(38_000_000, 75), 28_500_000);
    }
}
