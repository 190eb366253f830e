//! `jousei calendar …`: the scheduling calendar from the command line.

use std::process::ExitCode;

use anyhow::bail;
use jiff::civil::Weekday;
use jousei_core::calendar::holidays::{self, FIRST_SUPPORTED_YEAR, LAST_SUPPORTED_YEAR};
use serde::Serialize;

/// Calendar commands.
#[derive(clap::Subcommand, Debug)]
pub enum CalendarCmd {
    /// Japanese public holidays of a year, computed by the rules of the holiday law
    /// (振替休日 and 国民の休日 included; names as in the Cabinet Office's list).
    Holidays {
        /// The year (1980–2099).
        #[arg(long)]
        year: i64,
        /// Print a JSON list of {"date", "name", "name_en", "kind"} instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// One row of `--json`.
#[derive(Serialize)]
struct Row {
    date: String,
    name: &'static str,
    name_en: &'static str,
    kind: &'static str,
}

fn weekday_ja(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "月",
        Weekday::Tuesday => "火",
        Weekday::Wednesday => "水",
        Weekday::Thursday => "木",
        Weekday::Friday => "金",
        Weekday::Saturday => "土",
        Weekday::Sunday => "日",
    }
}

/// Columns on a terminal: two for East Asian wide characters.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Run a calendar command.
pub fn run(cmd: CalendarCmd) -> anyhow::Result<ExitCode> {
    let CalendarCmd::Holidays { year, json } = cmd;
    let Some(list) = i16::try_from(year)
        .ok()
        .and_then(|y| holidays::holidays(y).ok())
    else {
        bail!(
            "--year: {year} is outside the supported years {FIRST_SUPPORTED_YEAR}–{LAST_SUPPORTED_YEAR} (the equinox formula's range)"
        );
    };
    if json {
        let rows: Vec<Row> = list
            .iter()
            .map(|h| Row {
                date: h.date.to_string(),
                name: h.name,
                name_en: h.name_en,
                kind: h.kind.as_str(),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    let name_width = list.iter().map(|h| width(h.name)).max().unwrap_or(0);
    println!(
        "{year}年の祝日・休日 / Public holidays in Japan, {year}: {}",
        list.len()
    );
    for h in &list {
        let pad = " ".repeat(name_width - width(h.name));
        println!(
            "{}  {}  {}{pad}  {}",
            h.date,
            weekday_ja(h.date.weekday()),
            h.name,
            h.name_en
        );
    }
    Ok(ExitCode::SUCCESS)
}
