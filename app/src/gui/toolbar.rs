//! The top bar: play / pause / step / restart / fit, the speed, where the run is, and the
//! toggles for panels, compare, predict, presentation, theme and help, and the exports.

use super::app::GilscopeApp;
use super::settings::Speed;
use super::view::Export;
use crate::format::nanos as format_nanos;

impl GilscopeApp {
    /// Shows the top bar.
    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(4.0);
            // Groups packed into as few rows as the width allows (egui's wrapping layout
            // would break a group apart). Widths are estimates at normal text size.
            let scale = self.theme.text_scale();
            let widths = [340.0, 420.0, 270.0, 700.0].map(|w: f32| w * scale);
            let available = ui.available_width();
            let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
            let mut used = 0.0;
            for (group, width) in widths.iter().enumerate() {
                if used > 0.0 && used + width > available {
                    rows.push(Vec::new());
                    used = 0.0;
                }
                used += width;
                if let Some(row) = rows.last_mut() {
                    row.push(group);
                }
            }
            for row in rows {
                ui.horizontal(|ui| {
                    for (n, group) in row.into_iter().enumerate() {
                        if n > 0 {
                            ui.separator();
                        }
                        match group {
                            0 => {
                                ui.heading("gilscope");
                                ui.separator();
                                self.transport(ui);
                            }
                            1 => self.speed_control(ui),
                            2 => {
                                ui.label(self.progress_text());
                            }
                            _ => self.toggles(ui),
                        }
                    }
                });
            }
            ui.add_space(2.0);
        });
    }

    fn transport(&mut self, ui: &mut egui::Ui) {
        let over = self.is_finished();
        // A real run (threads or an interpreter) cannot pause: it stops.
        let realtime = self.realtime();
        let (play_label, hover) = if over {
            ("Play again", "Run again from the start (Space)")
        } else if realtime {
            (
                "Stop",
                "End the real run now, keeping what it recorded (Space)",
            )
        } else if self.playing {
            ("Pause", "Play or pause (Space)")
        } else {
            ("Play", "Play or pause (Space)")
        };
        if ui.button(play_label).on_hover_text(hover).clicked() {
            self.toggle_play();
        }
        if ui
            .add_enabled(!over && !realtime, egui::Button::new("Step"))
            .on_hover_text("Pause and process exactly one event (Right arrow)")
            .clicked()
        {
            self.step();
        }
        if ui
            .button("Restart")
            .on_hover_text("Run again from the start (R)")
            .clicked()
        {
            self.restart();
        }
        if ui
            .button("Fit")
            .on_hover_text("Show the whole run (F, or double-click the timeline)")
            .clicked()
        {
            self.fit_view();
        }
    }

    fn speed_control(&mut self, ui: &mut egui::Ui) {
        let label = ui.label("Speed");
        let mut fastest = self.settings.speed == Speed::Fastest;
        let interval = self.pace_interval();
        let mut rate = self
            .settings
            .speed
            .for_interval(interval)
            .ns_per_second()
            .unwrap_or(Speed::FASTEST_PACED);
        let slider = ui
            .add_enabled(
                !fastest,
                egui::Slider::new(&mut rate, Speed::SLOWEST..=Speed::FASTEST_PACED)
                    .logarithmic(true)
                    .show_value(false),
            )
            .labelled_by(label.id)
            .on_hover_text("Simulated time per real second: from 1 µs per second (slow motion) to 10× real time");
        let mut changed = slider.changed();
        if ui
            .checkbox(&mut fastest, "Max")
            .on_hover_text("As fast as the simulator can go")
            .changed()
        {
            changed = true;
        }
        let mut speed = if fastest {
            Speed::Fastest
        } else if slider.changed() || self.settings.speed == Speed::Fastest {
            Speed::Paced(rate)
        } else {
            self.settings.speed
        };
        if ui
            .selectable_label(speed == Speed::CLASS, "Class pace")
            .on_hover_text("One switch interval of this run (on the old GIL, one check interval) per second of wall time")
            .clicked()
        {
            speed = Speed::CLASS;
            changed = true;
        }
        ui.label(speed.to_string());
        if changed {
            self.set_speed(speed);
        }
    }

    /// "12.3 ms simulated · running", or how far each compared run got.
    fn progress_text(&self) -> String {
        let state = |over: bool, errored: bool| {
            if errored {
                "stopped"
            } else if over {
                "finished"
            } else if self.playing {
                "running"
            } else {
                "paused"
            }
        };
        let parts: Vec<String> = self
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| {
                let name = if self.runs.len() > 1 {
                    if i == 0 { "A " } else { "B " }
                } else {
                    ""
                };
                format!(
                    "{name}{} {}",
                    format_nanos(run.trace.now),
                    state(run.is_over(), run.error.is_some())
                )
            })
            .collect();
        if parts.is_empty() {
            "no run".to_owned()
        } else {
            parts.join(" · ")
        }
    }

    fn toggles(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.settings;
        ui.toggle_value(&mut s.show_controls, "Settings")
            .on_hover_text("Show or hide the settings panel");
        ui.toggle_value(&mut s.show_info, "Stats")
            .on_hover_text("Show or hide the narration and stats panel");
        ui.toggle_value(&mut s.show_events, "Events")
            .on_hover_text("Show or hide the event log beside the timeline (E)");
        ui.toggle_value(&mut s.show_lower, "Narration")
            .on_hover_text("Show or hide the narration and plots under the timeline");
        ui.toggle_value(&mut s.compare, "Compare")
            .on_hover_text("Run the scenario twice, stacked on one time axis (C)");
        ui.toggle_value(&mut s.presentation, "Presentation")
            .on_hover_text("Large text and thick lanes for a class (P)");
        let theme_label = format!("Theme: {}", s.theme.label());
        if ui
            .button(theme_label)
            .on_hover_text("Switch between dark and light (T)")
            .clicked()
        {
            s.theme = s.theme.toggled();
        }
        let mut predict = self.views.predict.on;
        if ui
            .toggle_value(&mut predict, "Predict")
            .on_hover_text("Ask the scenario's question first; the numbers stay hidden until you reveal the answer (K)")
            .changed()
        {
            self.toggle_predict();
        }
        ui.toggle_value(&mut self.views.help.open, "Help")
            .on_hover_text("Keyboard shortcuts (H, F1 or ?)");
        self.export_menu(ui);
    }

    /// The exports: run A's trace, the stats, the window, the timeline, into a folder.
    fn export_menu(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Export", |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Folder");
                ui.add(
                    egui::TextEdit::singleline(&mut self.settings.export_dir).desired_width(220.0),
                )
                .labelled_by(label.id);
            });
            for (what, text, hint) in [
                (
                    Export::Trace,
                    "Trace (Perfetto JSON)",
                    "Run A as Chrome trace-event JSON: open it in ui.perfetto.dev",
                ),
                (
                    Export::StatsCsv,
                    "Stats (CSV)",
                    "The stats of the runs, one row each",
                ),
                (
                    Export::WindowPng,
                    "Window (PNG)",
                    "A picture of the whole window",
                ),
                (
                    Export::TimelinePng,
                    "Timeline (PNG)",
                    "A picture of the timeline",
                ),
            ] {
                let path = self.export_path(what);
                if ui
                    .button(text)
                    .on_hover_text(format!("{hint}: {}", path.display()))
                    .clicked()
                {
                    self.apply(super::view::Action::Export(what));
                    ui.close();
                }
            }
        });
        if let Some(note) = &self.export_note {
            ui.weak(note);
        }
    }
}
