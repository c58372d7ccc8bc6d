//! The drawing side of a chart: lines broken where a day was left blank, SVG path data, marker
//! shapes and round axis ticks. Pure geometry in the chart's view box, shared by the SVG partial
//! and the Typst layout through the values [`super::Chart`] carries.

/// A marker's half size.
const MARKER: f64 = 5.0;

/// The runs of consecutive answered values, as points: a missing value breaks the line, and a
/// lone value is only a marker.
pub(super) fn runs(values: &[Option<f64>], xs: &[f64], y_of: impl Fn(f64) -> f64) -> Vec<Vec<[f64; 2]>> {
    let mut out: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut current: Vec<[f64; 2]> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => current.push([xs[i], y_of(*v)]),
            None => out.push(std::mem::take(&mut current)),
        }
    }
    out.push(current);
    out.retain(|run| run.len() > 1);
    out
}

/// `M x y L x y …` for each run.
pub(super) fn svg_path(segments: &[Vec<[f64; 2]>]) -> String {
    let mut d = Vec::new();
    for run in segments {
        for (i, [x, y]) in run.iter().enumerate() {
            d.push(format!("{}{x} {y}", if i == 0 { 'M' } else { 'L' }));
        }
    }
    d.join(" ")
}

/// A marker of `shape` centred on `(x, y)`, as an SVG path.
pub(super) fn marker(shape: &str, x: f64, y: f64) -> String {
    let r = MARKER;
    let p = |dx: f64, dy: f64| format!("{} {}", round(x + dx), round(y + dy));
    match shape {
        "square" => {
            let s = r * 0.85;
            format!("M{} L{} L{} L{} Z", p(-s, -s), p(s, -s), p(s, s), p(-s, s))
        }
        "triangle" => format!("M{} L{} L{} Z", p(0.0, -r * 1.2), p(r * 1.1, r * 0.8), p(-r * 1.1, r * 0.8)),
        "diamond" => {
            format!("M{} L{} L{} L{} Z", p(0.0, -r * 1.25), p(r * 1.25, 0.0), p(0.0, r * 1.25), p(-r * 1.25, 0.0))
        }
        _ => format!("M{} A{r} {r} 0 1 0 {} A{r} {r} 0 1 0 {} Z", p(-r, 0.0), p(r, 0.0), p(-r, 0.0)),
    }
}

/// The values marked on a `min`–`max` axis: a round step, five intervals at most, both ends shown.
pub(super) fn ticks(min: i64, max: i64) -> Vec<i64> {
    let range = (max - min).max(1);
    let step =
        [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].into_iter().find(|s| range / s <= 5).unwrap_or(range);
    let mut out: Vec<i64> = (0..).map(|k| min + k * step).take_while(|v| *v <= max).collect();
    if out.last() != Some(&max) {
        // Too close to the last round value to print both: the end of the scale wins.
        if out.last().is_some_and(|last| (max - last) * 2 < step) {
            out.pop();
        }
        out.push(max);
    }
    out
}

/// A coordinate to a tenth of a unit: short paths, and no float noise in the output.
pub(super) fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The widest gap between two pairs of one x point.
const LANE_GAP: f64 = 16.0;

/// Where the `lane`-th of `lanes` pairs of one x point (a day's practices) goes, from the point's
/// centre: side by side in their order, within most of the point's `band`.
pub(super) fn lane_offset(lane: usize, lanes: usize, band: f64) -> f64 {
    if lanes <= 1 {
        return 0.0;
    }
    let gap = (band * 0.8 / lanes as f64).min(LANE_GAP);
    (lane as f64 - (lanes - 1) as f64 / 2.0) * gap
}
