use gilscope_sim::*;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let s = Scenario::parse(&text, &path).unwrap();
    let mut o = Overrides::default();
    if let Some(iv) = std::env::args().nth(2) { o.switch_interval = Some(gilscope_sim::time::parse_duration(&iv).unwrap()); }
    if let Some(p) = std::env::args().nth(3) { if p == "ft" { o.free_threaded = Some(true);} else { o.python = Some(p.parse().unwrap()); } }
    let c = s.config(&o).unwrap();
    let t0 = std::time::Instant::now();
    let mut e = SimEngine::new(&s, &c);
    e.run_to_end().unwrap();
    let n = e.events_processed();
    let trace = e.into_trace();
    let el = t0.elapsed();
    let st = Stats::compute(&trace, &s.name, "sim", &c);
    println!("{}", serde_json::to_string_pretty(&st).unwrap());
    eprintln!("events {n} in {el:?} spans {}", trace.span_count());
}
