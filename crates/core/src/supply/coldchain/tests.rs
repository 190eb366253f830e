use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::chart::{MARGIN_BOTTOM, MARGIN_TOP};
use super::logger::ECHO_CHARS;
use super::*;
use crate::supply::units::{DeciCelsius, fmt_fixed};

fn tokyo() -> TimeZone {
    TimeZone::get("Asia/Tokyo").unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Readings every `step` minutes from 2026-03-01 00:00 UTC.
fn series(step: i64, temps: &[i32]) -> Vec<Reading> {
    let t0 = ts("2026-03-01T00:00:00Z").as_second();
    temps
        .iter()
        .enumerate()
        .map(|(i, t)| Reading {
            at: Timestamp::from_second(t0 + i as i64 * step * 60).unwrap(),
            temp: DeciCelsius(*t),
        })
        .collect()
}

fn parse(text: &str) -> Result<LoggerFile, LoggerError> {
    parse_logger_csv(text, &tokyo())
}

fn err(text: &str) -> LoggerError {
    parse(text).unwrap_err()
}

// --- parsing -----------------------------------------------------------

#[test]
fn jousei_format_with_offsets_and_local_times() {
    let f = parse(
        "timestamp,temperature_c\n\
         2026-03-01T09:00:00+09:00,-80.1\n\
         2026-03-01T00:05:00Z,-79.9\n\
         2026-03-01 09:10,-80\n\
         2026-03-01 09:15:30,4.25\n",
    )
    .unwrap();
    assert_eq!(f.layout, TimeLayout::Combined);
    assert_eq!(f.separator, ',');
    assert_eq!(f.header_line, 1);
    assert_eq!(f.device_id, None);
    let got: Vec<(Timestamp, i32)> = f.readings.iter().map(|r| (r.at, r.temp.0)).collect();
    assert_eq!(
        got,
        vec![
            (ts("2026-03-01T00:00:00Z"), -801),
            (ts("2026-03-01T00:05:00Z"), -799),
            (ts("2026-03-01T00:10:00Z"), -800),
            (ts("2026-03-01T00:15:30Z"), 43),
        ]
    );
}

#[test]
fn japanese_logger_with_metadata_bom_crlf() {
    let text = "\u{feff}# 冷凍庫A\r\nシリアル番号：TR-7123\r\n機種,TR-71wb\r\n\r\n\
                No.,日付,時刻,温度(℃),湿度(%)\r\n\
                1,2026/03/01,09:00:00,-80.2,40\r\n\
                2,2026/3/1,9:05:00,-80.0,41\r\n";
    let f = parse(text).unwrap();
    assert_eq!(f.device_id.as_deref(), Some("TR-7123"));
    assert_eq!(f.layout, TimeLayout::SplitDateTime);
    assert_eq!(f.header_line, 5);
    assert_eq!(f.readings.len(), 2);
    assert_eq!(f.readings[0].at, ts("2026-03-01T00:00:00Z"));
    assert_eq!(f.readings[1].at, ts("2026-03-01T00:05:00Z"));
    assert_eq!(f.readings[1].temp, DeciCelsius(-800));
}

#[test]
fn semicolon_and_tab_separators_allow_decimal_comma() {
    let f =
        parse("Serial Number: ABC-1\nDate;Time;Temperature [°C]\n2026-03-01;09:00;4,5\n").unwrap();
    assert_eq!(f.separator, ';');
    assert_eq!(f.device_id.as_deref(), Some("ABC-1"));
    assert_eq!(f.readings[0].temp, DeciCelsius(45));
    let f = parse("Date\tTime\tTemp\n2026-03-01\t09:00\t-3,25\n").unwrap();
    assert_eq!(f.separator, '\t');
    assert_eq!(f.readings[0].temp, DeciCelsius(-33));
}

#[test]
fn quoted_cells_and_units_in_values() {
    let f = parse(
        "\"Serial\",\"X9\"\n\"Date/Time\",\"Temperature, °C\"\n\"2026-03-01 09:00\",\"5.0 °C\"\n",
    )
    .unwrap();
    assert_eq!(f.device_id.as_deref(), Some("X9"));
    assert_eq!(f.readings[0].temp, DeciCelsius(50));
}

#[test]
fn date_column_alone_is_read_as_date_and_time() {
    let f = parse("Date,Temp(°C)\n2026/03/01 09:00:00,5\n").unwrap();
    assert_eq!(f.layout, TimeLayout::Combined);
    assert_eq!(f.readings[0].at, ts("2026-03-01T00:00:00Z"));
}

#[test]
fn decimal_comma_with_comma_separator_is_refused_and_explained() {
    let e = err("Date,Time,Temp\n2026-03-01,09:00,4,5\n");
    assert_eq!(e.code(), "logger_decimal_comma");
    assert_eq!((e.line(), e.column()), (Some(2), Some(3)));
    let e = err("Date,Time,Temp\n2026-03-01,09:00,\"4,5\"\n");
    assert_eq!(e.code(), "logger_decimal_comma");
    assert!(e.to_string().contains("logger_decimal_comma"));
}

#[test]
fn errors_name_code_line_and_column() {
    let cases: &[(&str, &str, Option<usize>, Option<usize>)] = &[
        ("", "logger_empty", None, None),
        (
            "\u{feff}\n# only a comment\n  \n",
            "logger_empty",
            None,
            None,
        ),
        ("hello\nworld\n", "logger_no_header", Some(1), None),
        (
            "timestamp,temperature_c\n",
            "logger_no_readings",
            Some(1),
            None,
        ),
        (
            "timestamp,temperature_c\n2026-03-01T09:00\n",
            "logger_bad_row",
            Some(2),
            Some(2),
        ),
        (
            "timestamp,temperature_c\n2026-03-01 09:00,4,x\n",
            "logger_bad_row",
            Some(2),
            Some(3),
        ),
        (
            "timestamp,temperature_c\n2026-02-30 09:00,4\n",
            "logger_bad_timestamp",
            Some(2),
            Some(1),
        ),
        (
            "timestamp,temperature_c\n01/03/2026 09:00,4\n",
            "logger_bad_timestamp",
            Some(2),
            Some(1),
        ),
        (
            "timestamp,temperature_c\n2026-03-01 9pm,4\n",
            "logger_bad_timestamp",
            Some(2),
            Some(1),
        ),
        (
            "Date,Time,Temp\n2026-03-01,25:00,4\n",
            "logger_bad_timestamp",
            Some(2),
            Some(2),
        ),
        (
            "Date,Time,Temp\n2026-13-01,09:00,4\n",
            "logger_bad_timestamp",
            Some(2),
            Some(1),
        ),
        (
            "timestamp,temperature_c\n2026-03-01 09:00,warm\n",
            "logger_bad_temperature",
            Some(2),
            Some(2),
        ),
        (
            "timestamp,temperature_c\n2026-03-01 09:00,\n",
            "logger_bad_temperature",
            Some(2),
            Some(2),
        ),
        (
            "timestamp,temperature_c\n2026-03-01 09:00,4.1234\n",
            "logger_bad_temperature",
            Some(2),
            Some(2),
        ),
        (
            "timestamp,temperature_c\n2026-03-01 09:00,１\n",
            "logger_bad_temperature",
            Some(2),
            Some(2),
        ),
        (
            "timestamp,temperature_c\n2026-03-01 09:00,-300\n",
            "logger_temperature_out_of_range",
            Some(2),
            Some(2),
        ),
        (
            "timestamp,temperature_c\n2026-03-01 09:00,4\n\n2026-03-01 09:00,5\n",
            "logger_duplicate_time",
            Some(4),
            None,
        ),
        (
            "timestamp,temperature_c\n2026-03-01 09:00,4\n2026-03-01T00:00:00Z,5\n",
            "logger_duplicate_time",
            Some(3),
            None,
        ),
        (
            "timestamp,temperature_c\n2026-03-01 09:05,4\n2026-03-01 09:00,5\n",
            "logger_out_of_order",
            Some(3),
            None,
        ),
        (
            "Date,Time,Temp1(°C),Temp2(°C)\n",
            "logger_ambiguous_column",
            Some(1),
            Some(4),
        ),
        (
            "Date,Time,Temp(°F)\n2026-03-01,09:00,39\n",
            "logger_fahrenheit",
            Some(1),
            Some(3),
        ),
    ];
    for (text, code, line, column) in cases {
        let e = err(text);
        assert_eq!(e.code(), *code, "{text:?}: {e}");
        assert_eq!(e.line(), *line, "{text:?}: {e}");
        assert_eq!(e.column(), *column, "{text:?}: {e}");
        assert!(LoggerError::ALL_CODES.contains(&e.code()));
    }
    let dup = err("timestamp,temperature_c\n2026-03-01 09:00,4\n2026-03-01 09:00,5\n");
    assert_eq!(
        dup,
        LoggerError::DuplicateTime {
            line: 3,
            first_line: 2
        }
    );
}

#[test]
fn error_values_are_cut_short() {
    let long = "x".repeat(500);
    match err(&format!(
        "timestamp,temperature_c\n2026-03-01 09:00,{long}\n"
    )) {
        LoggerError::BadTemperature { value, .. } => assert_eq!(value.len(), ECHO_CHARS),
        e => panic!("{e:?}"),
    }
}

#[test]
fn header_must_come_early() {
    let mut text = String::new();
    for i in 0..MAX_PREAMBLE_LINES {
        text.push_str(&format!("meta {i}\n"));
    }
    text.push_str("timestamp,temperature_c\n2026-03-01 09:00,4\n");
    assert_eq!(err(&text), LoggerError::NoHeader { line: 1 });
}

#[test]
fn too_many_rows_and_bytes() {
    let mut text = String::from("timestamp,temperature_c\n");
    let t0 = ts("2026-01-01T00:00:00Z").as_second();
    for i in 0..=MAX_ROWS as i64 {
        let at = Timestamp::from_second(t0 + i * 60).unwrap();
        text.push_str(&format!("{at},4\n"));
    }
    let e = err(&text);
    assert_eq!(e.code(), "logger_too_large");
    assert_eq!(e.line(), Some(MAX_ROWS + 2));
    let big = " ".repeat(MAX_BYTES + 1);
    assert_eq!(err(&big).code(), "logger_too_large");
}

#[test]
fn local_times_that_do_not_exist_or_repeat_are_refused() {
    let ny = TimeZone::get("America/New_York").unwrap();
    let gap = parse_logger_csv("timestamp,temperature_c\n2026-03-08 02:30,4\n", &ny);
    assert_eq!(gap.unwrap_err().code(), "logger_bad_timestamp");
    let fold = parse_logger_csv("timestamp,temperature_c\n2026-11-01 01:30,4\n", &ny);
    assert_eq!(fold.unwrap_err().code(), "logger_bad_timestamp");
    let with_offset = parse_logger_csv(
        "timestamp,temperature_c\n2026-11-01T01:30:00-04:00,4\n",
        &ny,
    );
    assert!(with_offset.is_ok());
}

#[test]
fn temperatures_round_to_tenths_half_away_from_zero() {
    for (raw, want) in [
        ("4.25", 43),
        ("4.249", 42),
        ("-4.25", -43),
        ("-0.04", 0),
        ("8.05", 81),
        ("+2", 20),
        ("3℃", 30),
    ] {
        let f = parse(&format!(
            "timestamp,temperature_c\n2026-03-01 09:00,{raw}\n"
        ))
        .unwrap();
        assert_eq!(f.readings[0].temp, DeciCelsius(want), "{raw}");
    }
}

#[test]
fn fixture_files_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/coldchain");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let f = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(f.readings.len() >= 10, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 3);
}

// --- excursions --------------------------------------------------------

fn at(min: i64) -> Timestamp {
    Timestamp::from_second(ts("2026-03-01T00:00:00Z").as_second() + min * 60).unwrap()
}

#[test]
fn limits_are_inclusive() {
    let r = series(5, &[20, 80, 20, 80, 50]);
    let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 0));
    assert_eq!(a, Analysis::default());
}

#[test]
fn exactly_at_tolerance_is_a_deviation_one_second_more_is_an_excursion() {
    // Out at minute 5, back in range at minute 35: exactly 30 minutes.
    let r = series(5, &[50, 90, 90, 90, 90, 90, 90, 50]);
    let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 30));
    assert!(a.excursions.is_empty());
    assert_eq!(a.deviations.len(), 1);
    assert_eq!(a.deviations[0].duration_minutes, 30);
    let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 29));
    assert_eq!(a.excursions.len(), 1);
    let mut r2 = r.clone();
    r2[7].at = Timestamp::from_second(r2[7].at.as_second() + 1).unwrap();
    let e = find_excursions(&r2, DeciCelsius(20), DeciCelsius(80), 30);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].duration_minutes, 31, "rounded up");
}

#[test]
fn excursion_fields() {
    let r = series(10, &[50, 85, 120, 95, 70, 50]);
    let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 15);
    assert_eq!(
        e,
        vec![Excursion {
            start: at(10),
            end: at(40),
            duration_minutes: 30,
            extreme: DeciCelsius(120),
            side: Side::Above,
            readings: 3,
            ongoing: false,
        }]
    );
}

#[test]
fn below_and_both_sides() {
    let r = series(10, &[50, 10, -5, 15, 50]);
    let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 0);
    assert_eq!(e[0].side, Side::Below);
    assert_eq!(e[0].extreme, DeciCelsius(-5));
    let r = series(60, &[50, 100, 0, 50]);
    let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 0);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].side, Side::Both);
    assert_eq!(
        e[0].extreme,
        DeciCelsius(100),
        "2 °C above ties 2 °C below: the first wins"
    );
    assert_eq!(e[0].readings, 2);
}

#[test]
fn single_reading() {
    let e = find_excursions(&series(5, &[50]), DeciCelsius(20), DeciCelsius(80), 0);
    assert!(e.is_empty());
    let a = analyse(
        &series(5, &[90]),
        &Limits::new(DeciCelsius(20), DeciCelsius(80), 0),
    );
    assert!(
        a.excursions.is_empty(),
        "zero duration is not longer than zero"
    );
    assert_eq!(a.deviations.len(), 1);
    assert!(a.deviations[0].ongoing);
    assert_eq!(a.deviations[0].duration_minutes, 0);
    assert!(find_excursions(&[], DeciCelsius(20), DeciCelsius(80), 0).is_empty());
}

#[test]
fn excursions_at_start_and_end_and_several() {
    let r = series(
        10,
        &[
            90, 90, 90, 50, 50, 95, 50, 10, 10, 10, 10, 50, 90, 90, 90, 90,
        ],
    );
    let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 15));
    let starts: Vec<_> = a
        .excursions
        .iter()
        .map(|e| (e.start, e.end, e.ongoing))
        .collect();
    assert_eq!(
        starts,
        vec![
            (at(0), at(30), false),
            (at(70), at(110), false),
            (at(120), at(150), true),
        ]
    );
    assert_eq!(a.deviations.len(), 1, "the 10-minute spike at minute 50");
    assert_eq!(a.deviations[0].start, at(50));
}

#[test]
fn unsorted_input_is_sorted_first() {
    let mut r = series(10, &[50, 90, 90, 90, 50]);
    r.reverse();
    let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 15);
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].start, e[0].end), (at(10), at(40)));
}

#[test]
fn gaps_are_reported_and_do_not_end_a_run() {
    let mut r = series(10, &[50, 50, 90, 50]);
    // The reading back in range comes four hours later.
    r[3].at = at(20 + 240);
    let mut limits = Limits::new(DeciCelsius(20), DeciCelsius(80), 30);
    let a = analyse(&r, &limits);
    assert_eq!(
        a.gaps,
        vec![Gap {
            from: at(20),
            to: at(260),
            minutes: 240
        }]
    );
    assert_eq!(a.excursions.len(), 1);
    assert_eq!(a.excursions[0].duration_minutes, 240);
    limits.max_gap_minutes = 240;
    assert!(
        analyse(&r, &limits).gaps.is_empty(),
        "exactly the maximum is not a gap"
    );
    // A gap between readings in range is only a gap.
    let mut r = series(10, &[50, 50]);
    r[1].at = at(600);
    let a = analyse(&r, &Limits::new(DeciCelsius(20), DeciCelsius(80), 30));
    assert_eq!(a.gaps.len(), 1);
    assert!(a.excursions.is_empty() && a.deviations.is_empty());
}

#[test]
fn inverted_limits_are_swapped() {
    let r = series(10, &[50, 90, 90, 50]);
    assert_eq!(
        find_excursions(&r, DeciCelsius(80), DeciCelsius(20), 0),
        find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 0)
    );
}

#[test]
fn summary_of_readings() {
    let mut r = series(10, &[50, -20, 90, 40]);
    r.swap(0, 3);
    let s = summary(&r).unwrap();
    assert_eq!(
        (s.count, s.first, s.last, s.min, s.max),
        (4, at(0), at(30), DeciCelsius(-20), DeciCelsius(90))
    );
    assert!(summary(&[]).is_none());
}

// --- chart -------------------------------------------------------------

fn path_points(svg: &str) -> usize {
    svg.split("<path class=\"readings\" d=\"")
        .nth(1)
        .map(|d| d.split('"').next().unwrap_or(""))
        .map_or(0, |d| d.matches(['M', 'L']).count())
}

#[test]
fn chart_structure() {
    let r = series(10, &[50, 90, 90, 90, 50, 40, 30]);
    let e = find_excursions(&r, DeciCelsius(20), DeciCelsius(80), 15);
    let svg = chart_svg(&r, DeciCelsius(20), DeciCelsius(80), &e, 600, 240, &tokyo());
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>"));
    assert_eq!(path_points(&svg), 7);
    assert_eq!(svg.matches("<rect class=\"band\"").count(), 1);
    assert_eq!(svg.matches("<rect class=\"excursion").count(), 1);
    assert_eq!(svg.matches("class=\"limit ").count(), 2);
    assert!(!svg.contains("style"), "the CSP forbids inline styles");
    // Times in the clinic's zone: 00:00Z is 09:00 in Tokyo.
    assert!(svg.contains(">09:00<") || svg.contains(">09:30<"), "{svg}");
    assert!(
        svg.contains("<title>3 – 9 °C · 2026-03-01 09:00 – 2026-03-01 10:00 · n=7</title>"),
        "{svg}"
    );
    assert!(
        svg.contains(">8 °C<") || svg.contains(">2 °C<") || svg.contains(">5 °C<"),
        "{svg}"
    );
    // Deterministic.
    assert_eq!(
        svg,
        chart_svg(&r, DeciCelsius(20), DeciCelsius(80), &e, 600, 240, &tokyo())
    );
    // Balanced tags: every element is self-closed or closed.
    let opens = svg.matches('<').count();
    let closes = svg.matches("/>").count() + svg.matches("</").count() * 2;
    assert_eq!(opens, closes, "{svg}");
}

#[test]
fn chart_of_nothing_and_of_one_reading() {
    let svg = chart_svg(
        &[],
        DeciCelsius(-850),
        DeciCelsius(-700),
        &[],
        400,
        200,
        &tokyo(),
    );
    assert_eq!(path_points(&svg), 0);
    assert_eq!(svg.matches("<rect class=\"band\"").count(), 1);
    assert!(!svg.contains("<circle"));
    let one = series(5, &[-800]);
    let svg = chart_svg(
        &one,
        DeciCelsius(-850),
        DeciCelsius(-700),
        &[],
        400,
        200,
        &tokyo(),
    );
    assert_eq!(svg.matches("<circle class=\"reading\"").count(), 1);
    assert!(svg.contains("-80 °C"), "{svg}");
}

#[test]
fn chart_keeps_spikes_when_decimating() {
    let mut temps = vec![50; 5000];
    temps[2500] = 300;
    temps[1234] = -100;
    let r = series(1, &temps);
    let svg = chart_svg(
        &r,
        DeciCelsius(20),
        DeciCelsius(80),
        &[],
        400,
        200,
        &tokyo(),
    );
    let n = path_points(&svg);
    assert!(n <= 2 * (400 - 68), "{n}");
    assert!(n > 100, "{n}");
    // The highest point reaches the top of the data range.
    let high = y_of(&svg, 300);
    let d = svg.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
    let ys: Vec<f64> = d
        .split(['M', 'L'])
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(ys.iter().any(|y| (y - high).abs() < 0.11), "{high} {ys:?}");
}

/// The y coordinate the chart gives a temperature, from its own tick
/// placement rule (domain padded by a tenth of the span).
fn y_of(svg: &str, t: i64) -> f64 {
    let h: f64 = svg
        .split("height=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let ph = h - MARGIN_TOP - MARGIN_BOTTOM;
    let (lo, hi) = (-100i64, 300i64);
    let pad = ((hi - lo) / 10).max(10);
    let (lo, hi) = (lo - pad, hi + pad);
    MARGIN_TOP + ph * (hi - t) as f64 / (hi - lo) as f64
}

#[test]
fn chart_clamps_its_size_and_labels_days() {
    let r = series(60 * 24, &[50, 60, 70, 80, 90, 50, 40, 30, 20, 10]);
    let svg = chart_svg(&r, DeciCelsius(20), DeciCelsius(80), &[], 1, 1, &tokyo());
    assert!(svg.contains("width=\"240\" height=\"120\""));
    assert!(
        svg.contains(">03/0"),
        "day labels for a multi-day span: {svg}"
    );
}

// --- properties --------------------------------------------------------

fn arb_line() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        ".{0,40}",
        "[0-9:/ T+Z.,;\\t-]{0,30}",
        Just("timestamp,temperature_c".to_string()),
        Just("日付,時刻,温度(℃)".to_string()),
        Just("Date;Time;Temp".to_string()),
        Just("Serial: X".to_string()),
        Just("# c".to_string()),
        (0i64..4_000_000_000, -3000i32..3000).prop_map(|(s, t)| format!(
            "{},{}.{}",
            Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH),
            t / 10,
            (t % 10).abs()
        )),
        (
            2000u32..2100,
            0u32..14,
            0u32..33,
            0u32..25,
            0u32..61,
            -900i32..200
        )
            .prop_map(|(y, m, d, h, mi, t)| format!("{y}/{m}/{d};{h}:{mi:02};{t},5")),
    ]
}

proptest::proptest! {
    #[test]
    fn parsing_never_panics(s in ".{0,200}") {
        let _ = parse(&s);
    }

    #[test]
    fn parsing_structured_input_never_panics(lines in proptest::collection::vec(arb_line(), 0..20), crlf: bool) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        if let Ok(f) = parse(&text) {
            proptest::prop_assert!(!f.readings.is_empty());
            proptest::prop_assert!(f.readings.windows(2).all(|w| w[0].at < w[1].at));
        } else if let Err(e) = parse(&text) {
            proptest::prop_assert!(LoggerError::ALL_CODES.contains(&e.code()));
        }
    }

    #[test]
    fn written_files_read_back(
        steps in proptest::collection::vec((1i64..100_000, -2000i32..=1000), 1..50),
        split: bool,
        sep_i in 0usize..3,
    ) {
        let sep = [",", ";", "\t"][sep_i];
        let mut s = ts("2020-01-01T00:00:00Z").as_second();
        let mut want = Vec::new();
        let mut text = if split { format!("Date{sep}Time{sep}Temp(°C)\n") } else { "timestamp,temperature_c\n".replace(',', sep) };
        for (step, t) in steps {
            s += step;
            let at = Timestamp::from_second(s).unwrap();
            let local = at.to_zoned(tokyo());
            let temp = fmt_fixed(i64::from(t), 1);
            if split {
                text.push_str(&format!("{}{sep}{}{sep}{temp}\r\n", local.strftime("%Y/%m/%d"), local.strftime("%H:%M:%S")));
            } else {
                text.push_str(&format!("{at}{sep}{temp}\n"));
            }
            want.push(Reading { at, temp: DeciCelsius(t) });
        }
        let f = parse(&text).unwrap();
        proptest::prop_assert_eq!(f.readings, want);
    }

    #[test]
    fn excursion_invariants(
        temps in proptest::collection::vec(-50i32..150, 0..80),
        steps in proptest::collection::vec(1i64..120, 80),
        tolerance in 0u32..120,
        shuffle_seed in 0usize..1000,
    ) {
        let t0 = ts("2026-03-01T00:00:00Z").as_second();
        let mut s = t0;
        let readings: Vec<Reading> = temps.iter().zip(&steps).map(|(t, step)| {
            s += step * 60;
            Reading { at: Timestamp::from_second(s).unwrap(), temp: DeciCelsius(*t) }
        }).collect();
        let (lo, hi) = (DeciCelsius(20), DeciCelsius(80));
        let limits = Limits::new(lo, hi, tolerance);
        let a = analyse(&readings, &limits);
        let out_of_range = readings.iter().filter(|r| r.temp < lo || r.temp > hi).count();
        let counted: usize = a.excursions.iter().chain(&a.deviations).map(|e| e.readings).sum();
        proptest::prop_assert_eq!(out_of_range, counted);
        for e in &a.excursions {
            proptest::prop_assert!(e.duration_minutes > i64::from(tolerance));
            proptest::prop_assert!(e.extreme < lo || e.extreme > hi);
            proptest::prop_assert!(e.readings >= 1 && e.start <= e.end);
        }
        for d in &a.deviations {
            proptest::prop_assert!(d.duration_minutes <= i64::from(tolerance));
        }
        let all: Vec<&Excursion> = {
            let mut v: Vec<&Excursion> = a.excursions.iter().chain(&a.deviations).collect();
            v.sort_by_key(|e| e.start);
            v
        };
        for w in all.windows(2) {
            proptest::prop_assert!(w[0].end <= w[1].start, "runs do not overlap");
        }
        proptest::prop_assert!(all.iter().filter(|e| e.ongoing).count() <= 1);
        // A larger tolerance never adds an excursion.
        let wider = analyse(&readings, &Limits::new(lo, hi, tolerance + 30));
        for e in &wider.excursions {
            proptest::prop_assert!(a.excursions.contains(e));
        }
        // The order of the input does not matter.
        let mut shuffled = readings.clone();
        if !shuffled.is_empty() {
            let n = shuffled.len();
            shuffled.rotate_left(shuffle_seed % n);
            shuffled.swap(0, (shuffle_seed * 7) % n);
        }
        proptest::prop_assert_eq!(analyse(&shuffled, &limits), a.clone());
        // The chart never panics and always draws one band.
        let svg = chart_svg(&readings, lo, hi, &a.excursions, 300, 150, &tokyo());
        proptest::prop_assert_eq!(svg.matches("<rect class=\"excursion").count(), a.excursions.len());
    }
}
