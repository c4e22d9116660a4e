//! Renders the analysis views (sweep, over-time plots, distributions, samplers) of the real app
//! to PNGs with no display, in both themes and in presentation mode:
//! `cargo run -p gilscope --example analysis_shots -- OUT_DIR`.

use gilscope::gui::analysis::LowerTab;
use gilscope::gui::sweep_view::Overlay;
use gilscope::gui::{GilscopeApp, ScenarioSource, Settings, Speed};
use gilscope::render::cpu::{render, save_png};
use gilscope::theme::{Theme, ThemeMode};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SIZE: (u32, u32) = (1280, 800);

/// Runs frames until the app's runs have ended (or 60 s passed).
fn drive(app: &mut GilscopeApp) -> Result<(), String> {
    let ctx = egui::Context::default();
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(SIZE.0 as f32, SIZE.1 as f32),
            )),
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| app.ui_contents(ui));
        output.textures_delta.clear();
        if app.is_finished() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("the run did not finish in 60 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn shoot(app: &mut GilscopeApp, path: &Path) -> Result<(), String> {
    let theme = Theme::new(app.settings.theme, app.settings.presentation);
    let bytes = render(SIZE.0, SIZE.1, 1.0, &theme, 4, |ui| app.ui_contents(ui))
        .map_err(|e| e.to_string())?;
    save_png(path, SIZE.0, SIZE.1, &bytes).map_err(|e| e.to_string())?;
    println!("wrote {}", path.display());
    Ok(())
}

fn main() -> Result<(), String> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "shots".to_owned()),
    );
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    for (theme, presentation, suffix) in [
        (ThemeMode::Dark, false, "dark"),
        (ThemeMode::Light, false, "light"),
        (ThemeMode::Dark, true, "presentation"),
    ] {
        let mut app = GilscopeApp::new(Settings {
            scenario: ScenarioSource::Preset("convoy".to_owned()),
            speed: Speed::Fastest,
            theme,
            presentation,
            show_controls: !presentation,
            ..Settings::default()
        });
        drive(&mut app)?;
        app.fit_view();
        for (tab, name) in [
            (LowerTab::OverTime, "overtime"),
            (LowerTab::Distributions, "histograms"),
            (LowerTab::Samplers, "samplers"),
        ] {
            app.views.lower.tab = tab;
            shoot(&mut app, &out.join(format!("analysis-{name}-{suffix}.png")))?;
        }
        app.views.show_sweep = true;
        app.views.sweep.overlay = Overlay::FreeThreaded;
        let ctx = egui::Context::default();
        app.start_sweep(&ctx);
        if !app.views.sweep.wait(Duration::from_mins(2)) {
            return Err("the sweep did not finish in 120 s".to_owned());
        }
        shoot(&mut app, &out.join(format!("analysis-sweep-{suffix}.png")))?;
    }
    // A compared pair (GIL against free-threaded): histograms overlaid.
    let mut app = GilscopeApp::new(Settings {
        scenario: ScenarioSource::Preset("convoy".to_owned()),
        speed: Speed::Fastest,
        compare: true,
        ..Settings::default()
    });
    drive(&mut app)?;
    app.fit_view();
    app.views.lower.tab = LowerTab::Distributions;
    shoot(&mut app, &out.join("analysis-histograms-compare-dark.png"))?;
    app.views.lower.tab = LowerTab::OverTime;
    shoot(&mut app, &out.join("analysis-overtime-compare-dark.png"))
}
