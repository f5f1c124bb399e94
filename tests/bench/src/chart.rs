//! A plain SVG chart, written by hand: panels of log-log line plots, time
//! against the number of revisions.

use std::fmt::Write as _;

/// One line of a panel.
#[derive(Clone, Debug)]
pub struct Series {
    /// Its legend.
    pub name: String,
    /// Stroke colour.
    pub color: &'static str,
    /// Dashed (for floors and references).
    pub dashed: bool,
    /// (revisions, seconds), in increasing revisions.
    pub points: Vec<(f64, f64)>,
}

/// One plot.
#[derive(Clone, Debug)]
pub struct Panel {
    /// Its title.
    pub title: String,
    /// Its lines.
    pub series: Vec<Series>,
}

const PANEL_W: f64 = 460.0;
const PANEL_H: f64 = 330.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 110.0;

/// A duration in seconds, for an axis label.
pub fn seconds_label(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{} s", trim(seconds))
    } else if seconds >= 1e-3 {
        format!("{} ms", trim(seconds * 1e3))
    } else if seconds >= 1e-6 {
        format!("{} µs", trim(seconds * 1e6))
    } else {
        format!("{} ns", trim(seconds * 1e9))
    }
}

fn trim(value: f64) -> String {
    let text = format!("{value:.0}");
    if (value - value.round()).abs() < 1e-9 {
        text
    } else {
        format!("{value:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders `panels` two per row, under `title`.
pub fn render(title: &str, panels: &[Panel]) -> String {
    let columns = panels.len().clamp(1, 2);
    let rows = panels.len().div_ceil(2).max(1);
    let width = PANEL_W * columns as f64;
    let height = PANEL_H * rows as f64 + 40.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="{}" y="24" text-anchor="middle" font-size="16">{}</text>"##,
        width / 2.0,
        escape(title)
    );
    for (i, panel) in panels.iter().enumerate() {
        let x = PANEL_W * (i % 2) as f64;
        let y = 40.0 + PANEL_H * (i / 2) as f64;
        render_panel(&mut svg, panel, x, y);
    }
    svg.push_str("</svg>\n");
    svg
}

fn render_panel(svg: &mut String, panel: &Panel, x0: f64, y0: f64) {
    let points = || panel.series.iter().flat_map(|s| s.points.iter());
    let positive = |v: &f64| *v > 0.0 && v.is_finite();
    let xs: Vec<f64> = points().map(|p| p.0).filter(positive).collect();
    let ys: Vec<f64> = points().map(|p| p.1).filter(positive).collect();
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle" font-size="14">{}</text>"#,
        x0 + PANEL_W / 2.0,
        y0 + 16.0,
        escape(&panel.title)
    );
    if xs.is_empty() || ys.is_empty() {
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">not measured</text>"#,
            x0 + PANEL_W / 2.0,
            y0 + PANEL_H / 2.0
        );
        return;
    }
    let decade = |v: f64, up: bool| {
        if up {
            10f64.powf(v.log10().ceil())
        } else {
            10f64.powf(v.log10().floor())
        }
    };
    let fold = |v: &[f64], min: bool| {
        v.iter()
            .copied()
            .fold(if min { f64::MAX } else { f64::MIN }, |a, b| {
                if min { a.min(b) } else { a.max(b) }
            })
    };
    let (mut x_lo, mut x_hi) = (
        decade(fold(&xs, true), false),
        decade(fold(&xs, false), true),
    );
    if x_hi <= x_lo {
        x_lo /= 10.0;
        x_hi *= 10.0;
    }
    let (mut y_lo, mut y_hi) = (
        decade(fold(&ys, true), false),
        decade(fold(&ys, false), true),
    );
    if y_hi <= y_lo {
        y_hi *= 10.0;
    }
    if y_hi / y_lo < 100.0 {
        y_lo /= 10.0;
    }
    let (px0, px1) = (x0 + LEFT, x0 + PANEL_W - RIGHT);
    let (py0, py1) = (y0 + PANEL_H - BOTTOM, y0 + TOP);
    let sx =
        |v: f64| px0 + (v.log10() - x_lo.log10()) / (x_hi.log10() - x_lo.log10()) * (px1 - px0);
    let sy =
        |v: f64| py0 + (v.log10() - y_lo.log10()) / (y_hi.log10() - y_lo.log10()) * (py1 - py0);
    let _ = writeln!(
        svg,
        r##"<rect x="{px0}" y="{py1}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
        px1 - px0,
        py0 - py1
    );
    let mut tick = x_lo;
    while tick <= x_hi * 1.0001 {
        let x = sx(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{py0}" x2="{x:.1}" y2="{py1}" stroke="#eee"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            py0 + 16.0,
            trim(tick)
        );
        tick *= 10.0;
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">revisions (log scale)</text>"#,
        (px0 + px1) / 2.0,
        py0 + 32.0
    );
    let mut tick = y_lo;
    while tick <= y_hi * 1.0001 {
        let y = sy(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{px0}" y1="{y:.1}" x2="{px1}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            px0 - 4.0,
            y + 4.0,
            seconds_label(tick)
        );
        tick *= 10.0;
    }
    for (i, series) in panel.series.iter().enumerate() {
        let path: Vec<String> = series
            .points
            .iter()
            .filter(|(x, y)| positive(x) && positive(y))
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let dash = if series.dashed {
            r#" stroke-dasharray="5,4""#
        } else {
            ""
        };
        if !path.is_empty() {
            let _ = writeln!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
                path.join(" "),
                series.color
            );
            for point in &path {
                let (x, y) = point.split_once(',').unwrap_or(("0", "0"));
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{x}" cy="{y}" r="3" fill="{}"/>"#,
                    series.color
                );
            }
        }
        let lx = x0 + LEFT - 20.0 + (i % 2) as f64 * 185.0;
        let ly = py0 + 52.0 + (i / 2) as f64 * 16.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"{dash}/><text x="{}" y="{}" font-size="11">{}</text>"#,
            ly - 4.0,
            lx + 24.0,
            ly - 4.0,
            series.color,
            lx + 30.0,
            ly,
            escape(&series.name)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(seconds_label(2.0), "2 s");
        assert_eq!(seconds_label(0.01), "10 ms");
        assert_eq!(seconds_label(1e-5), "10 µs");
    }

    #[test]
    fn renders_a_closed_svg_with_every_series() {
        let panel = Panel {
            title: "t".to_owned(),
            series: vec![Series {
                name: "a<b".to_owned(),
                color: "#000",
                dashed: true,
                points: vec![(100.0, 0.001), (10_000.0, 0.1)],
            }],
        };
        let svg = render(
            "x",
            &[
                panel.clone(),
                Panel {
                    series: vec![],
                    ..panel
                },
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("a&lt;b") && svg.contains("polyline") && svg.contains("not measured"));
    }
}
