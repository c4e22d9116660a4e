//! The top bar: play / pause / step / restart / fit, the speed, where the run is, and the
//! toggles for panels, compare, predict, presentation, theme and help, and the exports.

use super::app::GilscopeApp;
use super::settings::Speed;
use super::view::Export;
use crate::format::nanos as format_nanos;

/// The toolbar's group of toggles, by index among its groups (its width is kept at that index).
const TOGGLES: usize = 3;
/// The toggles with the panel toggles folded into a menu (its width is kept at this index).
const FOLDED: usize = 4;

impl GilscopeApp {
    /// Shows the top bar.
    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui) {
        self.views.rects.clear();
        let shown = egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(4.0);
            // Groups packed into as few rows as the width allows (egui's wrapping layout
            // would break a group apart), by their widths in the last frame (estimates at
            // first). The toggles go last; where they do not fit on a row of their own, the
            // panel toggles fold into a menu, and their row wraps.
            let scale = self.theme.text_scale();
            let estimates = [340.0, 420.0, 270.0, 700.0, 520.0].map(|w: f32| w * scale);
            let base = ui.scope_id();
            let width_id = |group: usize| base.with(("toolbar-group", group));
            let widths: Vec<f32> = (0..estimates.len())
                .map(|g| {
                    ui.ctx()
                        .data(|d| d.get_temp::<f32>(width_id(g)))
                        .unwrap_or(estimates[g])
                })
                .collect();
            let available = ui.available_width();
            let gap = ui.spacing().item_spacing.x * 2.0 + 1.0;
            let folded = widths[TOGGLES] > available;
            let toggles = if folded { FOLDED } else { TOGGLES };
            // Each group in the first row with room for it (the progress beside the buttons
            // when the speed does not fit there); the toggles in the last row, or their own.
            let mut rows: Vec<(Vec<usize>, f32)> = Vec::new();
            for group in [0, 1, 2, toggles] {
                let width = widths[group];
                let row = if group == toggles {
                    rows.last_mut()
                        .filter(|(_, used)| used + width <= available)
                } else {
                    rows.iter_mut().find(|(_, used)| used + width <= available)
                };
                match row {
                    Some((row, used)) => {
                        row.push(group);
                        *used += width + gap;
                    }
                    None => rows.push((vec![group], width + gap)),
                }
            }
            for (row, _) in rows {
                let alone_toggles = row == [toggles];
                let contents = |ui: &mut egui::Ui| {
                    for (n, group) in row.into_iter().enumerate() {
                        if n > 0 {
                            ui.separator();
                        }
                        let left = ui.cursor().left();
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
                            _ => self.toggles(ui, folded),
                        }
                        let width = ui.min_rect().right() - left;
                        ui.ctx().data_mut(|d| d.insert_temp(width_id(group), width));
                    }
                };
                // Only the toggles wrap (a window too narrow even for them folded).
                if alone_toggles {
                    ui.horizontal_wrapped(contents);
                } else {
                    ui.horizontal(contents);
                }
            }
            ui.add_space(2.0);
        });
        self.views.rects.record("toolbar", shown.response.rect);
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

    /// The toggles; with `folded`, those of the panels in a "Panels" menu.
    fn toggles(&mut self, ui: &mut egui::Ui, folded: bool) {
        let panels = |ui: &mut egui::Ui, s: &mut super::settings::Settings| {
            ui.toggle_value(&mut s.show_controls, "Settings")
                .on_hover_text("Show or hide the settings panel");
            ui.toggle_value(&mut s.show_info, "Stats")
                .on_hover_text("Show or hide the narration and stats panel");
            ui.toggle_value(&mut s.show_events, "Events")
                .on_hover_text("Show or hide the event log beside the timeline (E)");
            ui.toggle_value(&mut s.show_lower, "Narration")
                .on_hover_text("Show or hide the narration and plots under the timeline");
        };
        let s = &mut self.settings;
        if folded {
            ui.menu_button("Panels", |ui| panels(ui, s))
                .response
                .on_hover_text(
                    "Show or hide the settings, the stats, the event log, the narration",
                );
        } else {
            panels(ui, s);
        }
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
