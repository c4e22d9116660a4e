//! The top bar: play / pause / step / restart / fit, the speed, where the run is, and the
//! toggles for panels, compare, presentation, theme and help.

use super::app::GilscopeApp;
use super::settings::Speed;
use crate::format::nanos as format_nanos;

impl GilscopeApp {
    /// Shows the top bar.
    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(4.0);
            // Groups packed into as few rows as the width allows (egui's wrapping layout
            // would break a group apart). Widths are estimates at normal text size.
            let scale = self.theme.text_scale();
            let widths = [340.0, 330.0, 270.0, 480.0].map(|w: f32| w * scale);
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
        let mut rate = self
            .settings
            .speed
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
            .on_hover_text("Simulated time per real second: from 1 ms per second (slow motion) to 10× real time");
        let mut changed = slider.changed();
        if ui
            .checkbox(&mut fastest, "Max")
            .on_hover_text("As fast as the simulator can go")
            .changed()
        {
            changed = true;
        }
        let speed = if fastest {
            Speed::Fastest
        } else {
            Speed::Paced(rate)
        };
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
        ui.toggle_value(&mut self.views.help.open, "Help")
            .on_hover_text("Keyboard shortcuts (H, F1 or ?)");
    }
}
