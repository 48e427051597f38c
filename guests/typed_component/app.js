// typed_component: unit conversion and measurement summaries (world `measure`, exported interface `api`,
// in wit/measure.wit).
// Built with jco's QuickJS backend (componentize-qjs). WIT values arrive as plain JS values: records as
// objects with camelCase keys, enums as strings, flags as objects of camelCase booleans, variants as
// { tag, val }, options as value-or-null, 64-bit integers as numbers (exact within +-2^53), f32 as numbers.
// A top-level result is returned by value (ok) or thrown (err). README.md specifies every rule below.

// Linear units: exact integer factors (as doubles) in micrometres and nanograms.
const LINEAR = {
  meter: ["length", 1e6], kilometer: ["length", 1e9], centimeter: ["length", 1e4], millimeter: ["length", 1e3],
  inch: ["length", 25400], foot: ["length", 304800], mile: ["length", 1609344000],
  gram: ["mass", 1e9], kilogram: ["mass", 1e12], pound: ["mass", 453592370000], ounce: ["mass", 28349523125],
};
const TEMPERATURE = ["celsius", "fahrenheit", "kelvin"];
const SYMBOL = {
  meter: "m", kilometer: "km", centimeter: "cm", millimeter: "mm", inch: "in", foot: "ft", mile: "mi",
  gram: "g", kilogram: "kg", pound: "lb", ounce: "oz", celsius: "°C", fahrenheit: "°F", kelvin: "K",
};
const STATS = ["mean", "median", "stddev", "range", "total"];

function dimension(unit) {
  if (unit in LINEAR) return LINEAR[unit][0];
  if (TEMPERATURE.includes(unit)) return "temperature";
  throw new Error("unknown unit " + unit);
}

// The value conversion. Same unit: unchanged. Linear: (v * F[from]) / F[to]. Temperature: direct formulas.
function convertValue(v, from, to) {
  if (from === to) return v;
  if (from in LINEAR) return (v * LINEAR[from][1]) / LINEAR[to][1];
  switch (from + ">" + to) {
    case "celsius>fahrenheit": return (v * 9) / 5 + 32;
    case "celsius>kelvin": return v + 273.15;
    case "fahrenheit>celsius": return ((v - 32) * 5) / 9;
    case "fahrenheit>kelvin": return ((v - 32) * 5) / 9 + 273.15;
    case "kelvin>celsius": return v - 273.15;
    case "kelvin>fahrenheit": return ((v - 273.15) * 9) / 5 + 32;
  }
  throw new Error("no conversion " + from + " to " + to);
}

// A difference (uncertainty) conversion: scale only, no offset; the result is made non-negative.
function convertDelta(u, from, to) {
  let r;
  if (from === to) r = u;
  else if (from in LINEAR) r = (u * LINEAR[from][1]) / LINEAR[to][1];
  else if (to === "fahrenheit") r = (u * 9) / 5;
  else if (from === "fahrenheit") r = (u * 5) / 9;
  else r = u; // celsius <-> kelvin
  return Math.abs(r);
}

function convert(value, fromUnit, toUnit) {
  const df = dimension(fromUnit), dt = dimension(toUnit);
  if (df !== dt) throw `cannot convert ${fromUnit} (${df}) to ${toUnit} (${dt})`;
  if (!Number.isFinite(value)) throw `value must be a finite number, got ${value}`;
  const r = convertValue(value, fromUnit, toUnit);
  if (!Number.isFinite(r)) throw `the result is beyond the f64 range`;
  return r;
}

// Number.prototype.toFixed, with "." replaced by the separator.
function fmt(x, decimals, sep) {
  return x.toFixed(decimals).replace(".", sep);
}

function fnv1a32(s) {
  let h = 0x811c9dc5;
  const eat = (b) => { h = Math.imul(h ^ b, 0x01000193) >>> 0; };
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (cp < 0x80) eat(cp);
    else if (cp < 0x800) { eat(0xc0 | (cp >> 6)); eat(0x80 | (cp & 63)); }
    else if (cp < 0x10000) { eat(0xe0 | (cp >> 12)); eat(0x80 | ((cp >> 6) & 63)); eat(0x80 | (cp & 63)); }
    else { eat(0xf0 | (cp >> 18)); eat(0x80 | ((cp >> 12) & 63)); eat(0x80 | ((cp >> 6) & 63)); eat(0x80 | (cp & 63)); }
  }
  return h >>> 0;
}

function invalid(message) {
  return { tag: "invalid-option", val: message };
}

function summarize(samples, options) {
  const { target, statistics, outliers, minQuality, calibratedOnly, bucketWidth, decimals, decimalSeparator } = options;
  // 1. options
  if (decimals > 12) throw invalid("decimals must be at most 12");
  if (bucketWidth !== null && !(Number.isFinite(bucketWidth) && bucketWidth > 0))
    throw invalid("bucket-width must be finite and > 0");
  if (outliers.tag === "drop-above" && Number.isNaN(outliers.val))
    throw invalid("drop-above threshold must not be NaN");
  if (outliers.tag === "clamp") {
    const [lo, hi] = outliers.val;
    if (Number.isNaN(lo) || Number.isNaN(hi) || !(lo <= hi))
      throw invalid("clamp bounds must not be NaN and low must be <= high");
  }
  // 2. samples
  if (samples.length === 0) throw { tag: "no-samples" };
  const dim = dimension(target);
  const kept = [];
  let dropped = 0, clamped = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (dimension(s.unit) !== dim) throw { tag: "incompatible-unit", val: i };
    const v0 = convertValue(s.value, s.unit, target);
    const u = convertDelta(s.uncertainty, s.unit, target);
    if (!Number.isFinite(s.value) || !Number.isFinite(v0) || !Number.isFinite(s.uncertainty) || !Number.isFinite(u))
      throw { tag: "non-finite-value", val: i };
    // 3. filters, in this order
    if (minQuality !== null && s.quality < minQuality) { dropped++; continue; }
    if (calibratedOnly && !s.calibrated) { dropped++; continue; }
    let v = v0;
    if (outliers.tag === "drop-above" && v > outliers.val) { dropped++; continue; }
    if (outliers.tag === "clamp") {
      const [lo, hi] = outliers.val;
      if (v < lo) { v = lo; clamped++; } else if (v > hi) { v = hi; clamped++; }
    }
    kept.push({ v, u, sensor: s.sensor, t: s.timestampMs, calibrated: s.calibrated, label: s.label });
  }
  const n = kept.length;
  const values = kept.map((k) => k.v);

  // 4. statistics (left-to-right sums starting at 0)
  const computed = {};
  for (const k of STATS) computed[k] = n > 0 && !!statistics[k];
  let total = 0;
  for (const v of values) total += v;
  const mean = n > 0 ? total / n : 0;
  const summary = {
    unit: target, count: n, dropped, clamped, computed,
    mean: computed.mean ? mean : null,
    median: null, stddev: null, range: null,
    total: computed.total ? total : null,
  };
  if (computed.median) {
    const sorted = values.slice().sort((a, b) => a - b);
    const m = n >> 1;
    summary.median = n % 2 === 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  }
  if (computed.stddev) {
    let ss = 0;
    for (const v of values) ss += (v - mean) * (v - mean);
    summary.stddev = Math.sqrt(ss / n);
  }
  if (computed.range) {
    let lo = values[0], hi = values[0];
    for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    summary.range = [lo, hi];
  }

  // 5. time: earliest = first sample with the smallest timestamp, latest = last one with the largest
  let first = null, last = null;
  for (const k of kept) {
    if (first === null || k.t < first.t) first = k;
    if (last === null || k.t >= last.t) last = k;
  }
  summary.trend = 0;
  summary.changePercent = null;
  summary.timeRange = n > 0 ? [first.t, last.t] : null;
  summary.spanMs = n >= 2 ? last.t - first.t : 0;
  if (n >= 2) {
    const d = last.v - first.v;
    summary.trend = d > 0 ? 1 : d < 0 ? -1 : 0;
    if (first.v !== 0) {
      const p = (d / Math.abs(first.v)) * 100;
      let r = Math.trunc(p);
      if (Math.abs(p - r) >= 0.5) r += Math.sign(p);
      summary.changePercent = Math.max(-32768, Math.min(32767, r));
    }
  }

  // 6. histogram
  const buckets = new Map();
  if (bucketWidth !== null) {
    for (const v of values) {
      const b = Math.max(-2147483648, Math.min(2147483647, Math.floor(v / bucketWidth)));
      buckets.set(b, (buckets.get(b) || 0) + 1);
    }
  }
  summary.histogram = [...buckets.entries()].sort((a, b) => a[0] - b[0]);

  // 7. the rest
  let maxU = 0;
  for (const k of kept) if (k.u > maxU) maxU = k.u;
  summary.maxUncertainty = Math.fround(maxU);
  summary.allCalibrated = kept.every((k) => k.calibrated);
  summary.sensors = [...new Set(kept.map((k) => k.sensor))].sort((a, b) => a - b);
  summary.labels = [...new Set(kept.filter((k) => k.label !== null).map((k) => k.label))];

  // 8. report
  const f = (x) => fmt(x, decimals, decimalSeparator);
  let report = `${n} of ${samples.length} samples in ${SYMBOL[target]}`;
  if (computed.mean) report += `; mean ${f(summary.mean)}`;
  if (computed.median) report += `; median ${f(summary.median)}`;
  if (computed.stddev) report += `; stddev ${f(summary.stddev)}`;
  if (computed.range) report += `; range ${f(summary.range[0])} to ${f(summary.range[1])}`;
  if (computed.total) report += `; total ${f(summary.total)}`;
  report += `; trend ${summary.trend > 0 ? "rising" : summary.trend < 0 ? "falling" : "flat"}`;
  if (summary.changePercent !== null) report += `; change ${summary.changePercent}%`;
  if (dropped > 0) report += `; dropped ${dropped}`;
  if (clamped > 0) report += `; clamped ${clamped}`;
  summary.report = report;
  // `| 0`: componentize-qjs 0.4.5 lowers a JS number into a u32 through an i32, saturating values above
  // 2^31 - 1; the same 32 bits as a signed number come out as the right u32.
  summary.checksum = fnv1a32(report) | 0;
  return summary;
}

export const api = { convert, summarize };
