//! Texts for people, as templates: the built-in English ones are compiled into the binary, and
//! `--templates DIR` replaces any of them by name with a provider's own wording or language.
//!
//! Templates are MiniJinja (Jinja2 syntax). Every value a template prints is escaped for the
//! output's format (Markdown for `*.md`), so a customer or server name from the inventory, or a
//! provider's own template, can never add a link, a heading or a table to a notice.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use std::path::{Path, PathBuf};

/// The customer notice, `customers/<customer_id>.md` (its variables: docs/templates.md).
pub(crate) const NOTICE: &str = "notice.md";

/// Every template blockscope renders, with its built-in text.
const BUILT_IN: &[(&str, &str)] = &[(NOTICE, include_str!("templates/notice.md"))];

/// A template that cannot be used, named by file and line where it is one.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {message}")]
pub(crate) struct TemplateError {
    origin: String,
    message: String,
}

/// The report templates: the built-in ones, each replaced by a file of the same name in the
/// provider's directory if it has one.
#[derive(Clone)]
pub(crate) struct Templates {
    env: Environment<'static>,
    /// Where each template came from (the file, or `built-in`), for error messages.
    origins: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("origins", &self.origins)
            .finish()
    }
}

impl Default for Templates {
    fn default() -> Self {
        Templates::load(None).expect("the built-in templates compile (tested)")
    }
}

impl Templates {
    /// The built-in templates, with those `dir` holds instead; every one compiled now, so a
    /// broken template stops the run before any work, naming its file and line.
    pub(crate) fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".md") {
                AutoEscape::Custom("markdown".into())
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(format_value);
        // Block tags on lines of their own leave no blank lines behind; a file's last newline stays.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("a valid syntax configuration");
        env.set_syntax(syntax);
        let mut origins = Vec::new();
        if let Some(dir) = dir {
            check_dir(dir)?;
        }
        for &(name, built_in) in BUILT_IN {
            let (origin, text) = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
                Some(path) => (path.display().to_string(), read(&path)?),
                None => ("built-in".to_string(), built_in.to_string()),
            };
            env.add_template_owned(name, text)
                .map_err(|e| error(&origin, &e))?;
            origins.push((name, origin));
        }
        Ok(Templates { env, origins })
    }

    /// Render template `name` with `context`; an error names the template's file and line.
    pub(crate) fn render(
        &self,
        name: &str,
        context: impl serde::Serialize,
    ) -> Result<String, TemplateError> {
        let origin = self.origin(name);
        let template = self.env.get_template(name).map_err(|e| error(origin, &e))?;
        template
            .render(minijinja::value::Serde(context))
            .map_err(|e| error(origin, &e))
    }

    fn origin(&self, name: &str) -> &str {
        self.origins
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("built-in", |(_, o)| o.as_str())
    }
}

/// The directory must exist and hold only templates blockscope knows: a misspelt file name
/// would otherwise be ignored in silence and the built-in English text sent instead.
fn check_dir(dir: &Path) -> Result<(), TemplateError> {
    let entries = std::fs::read_dir(dir).map_err(|e| TemplateError {
        origin: dir.display().to_string(),
        message: format!("cannot read the --templates directory ({e})"),
    })?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || BUILT_IN.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let known: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
        return Err(TemplateError {
            origin: PathBuf::from(dir).join(&name).display().to_string(),
            message: format!(
                "not a template blockscope renders (the names are: {}); rename or remove it",
                known.join(", ")
            ),
        });
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, TemplateError> {
    std::fs::read_to_string(path).map_err(|e| TemplateError {
        origin: path.display().to_string(),
        message: format!("cannot read the template ({e}); it must be UTF-8 text"),
    })
}

fn error(origin: &str, e: &minijinja::Error) -> TemplateError {
    let line = e.line().map_or(String::new(), |l| format!(":{l}"));
    let mut message = e.to_string();
    if let Some(detail) = e.detail() {
        if !message.contains(detail) {
            message = format!("{message} ({detail})");
        }
    }
    TemplateError {
        origin: format!("{origin}{line}"),
        message,
    }
}

/// Print a value, escaped for the template's output format.
fn format_value(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::value::Value,
) -> Result<(), minijinja::Error> {
    if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "markdown")
        && !value.is_safe()
    {
        let text = match value.as_str() {
            Some(s) => super::summary_md::md(s),
            None => super::summary_md::md(&value.to_string()),
        };
        return out.write_str(&text).map_err(minijinja::Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_templates_escape_every_value() {
        let mut t = Templates::default();
        t.env
            .add_template_owned("x.md", "{{ name }} {{ n }}")
            .unwrap();
        t.origins.push(("x.md", "test".into()));
        let out = t
            .render(
                "x.md",
                serde_json::json!({"name": "[click](http://evil.example) # | *", "n": 3}),
            )
            .unwrap();
        assert_eq!(out, "\\[click\\](http://evil.example) \\# \\| \\* 3");
    }

    #[test]
    fn an_unknown_variable_is_an_error_naming_the_template_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(NOTICE), "Hello\n{{ customer.nmae }}\n").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let e = t
            .render(NOTICE, serde_json::json!({"customer": {"name": "A"}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("notice.md:2"), "{e}");
    }

    #[test]
    fn a_syntax_error_or_a_stray_file_stops_loading() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(NOTICE), "{% if x %}\nno end\n").unwrap();
        let e = Templates::load(Some(dir.path())).unwrap_err().to_string();
        assert!(e.contains("notice.md:"), "{e}");
        std::fs::remove_file(dir.path().join(NOTICE)).unwrap();
        std::fs::write(dir.path().join("notices.md"), "x").unwrap();
        let e = Templates::load(Some(dir.path())).unwrap_err().to_string();
        assert!(e.contains("notices.md: not a template"), "{e}");
    }
}
