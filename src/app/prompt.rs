//! The prompt pane's state: the prompt and negative prompt editors
//! (ratatui-textarea: undo/redo, word motions) and whether keys type into
//! them (insert mode) or act as commands (normal mode).

use ratatui::style::Style;
use ratatui_textarea::{TextArea, WrapMode};

/// Preset variables such as `{subject}`, highlighted where they appear.
const VARIABLE_PATTERN: &str = r"\{[a-z_][a-z0-9_]*\}";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptField {
    Prompt,
    Negative,
}

pub struct PromptEditor {
    pub prompt: TextArea<'static>,
    pub negative: TextArea<'static>,
    pub field: PromptField,
    /// Keys type into the editor; Esc leaves for normal mode.
    pub inserting: bool,
}

impl PromptEditor {
    pub fn new() -> PromptEditor {
        PromptEditor {
            prompt: editor("describe the image; Esc for commands, ? for help"),
            negative: editor("what to leave out"),
            field: PromptField::Prompt,
            inserting: true,
        }
    }

    pub fn text(&self) -> String {
        self.prompt.lines().join("\n")
    }

    pub fn negative_text(&self) -> String {
        self.negative.lines().join("\n")
    }

    pub fn chars(&self) -> usize {
        self.text().chars().count()
    }

    pub fn active(&mut self) -> &mut TextArea<'static> {
        match self.field {
            PromptField::Prompt => &mut self.prompt,
            PromptField::Negative => &mut self.negative,
        }
    }

    /// Replaces the prompt (from history, a preset or $EDITOR); undoable.
    pub fn set_text(&mut self, text: &str) {
        replace(&mut self.prompt, text);
    }

    pub fn set_negative(&mut self, text: &str) {
        replace(&mut self.negative, text);
    }

    pub fn style(&mut self, cursor_line: Style, variables: Style) {
        for area in [&mut self.prompt, &mut self.negative] {
            area.set_cursor_line_style(cursor_line);
            area.set_search_style(variables);
        }
    }
}

impl Default for PromptEditor {
    fn default() -> Self {
        PromptEditor::new()
    }
}

fn editor(placeholder: &str) -> TextArea<'static> {
    let mut area = TextArea::default();
    area.set_placeholder_text(placeholder);
    area.set_wrap_mode(WrapMode::WordOrGlyph);
    area.set_cursor_line_style(Style::default());
    area.set_max_histories(200);
    // The pattern is a constant that compiles; highlighting is cosmetic.
    let _ = area.set_search_pattern(VARIABLE_PATTERN);
    area
}

fn replace(area: &mut TextArea<'static>, text: &str) {
    area.select_all();
    area.cut();
    area.insert_str(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_text_can_be_undone() {
        let mut editor = PromptEditor::new();
        editor.prompt.insert_str("a red fox");
        editor.set_text("a lighthouse\nat dusk");
        assert_eq!(editor.text(), "a lighthouse\nat dusk");
        assert_eq!(editor.chars(), 20);
        editor.prompt.undo();
        editor.prompt.undo();
        assert_eq!(editor.text(), "a red fox");
    }
}
