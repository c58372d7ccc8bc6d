//! The example library built and served for the browser tests of the online form (Chromium in
//! tests/browser_form.rs, Firefox in tests/firefox_form.rs), and the fields they fill in.

use std::path::Path;

use serde_json::json;
use tarea::answers;
use tarea::model::FieldType;
use tarea::resolve::SheetLayout;

use super::browser::Server;
use super::{build, repo, site_from};

/// A packet with a daily table that has a text and a scale column, and those fields' keys.
pub struct Target {
    pub token: String,
    pub answers_code: String,
    pub patient_id: String,
    pub date: String,
    pub task: String,
    pub text: String,
    pub scale: String,
    pub second_day_scale: String,
    pub scale_label: String,
}

/// The first such table of the built site at `root`.
pub fn target(root: &Path) -> Target {
    let packets = tarea::packets(root).unwrap();
    for (packet, link) in &packets {
        for task in &packet.tasks {
            let dated = task.blocks.iter().filter(|b| b.date.is_some()).count() > 1;
            let text = task.columns.iter().find(|c| c.kind == FieldType::Text);
            let scale = task.columns.iter().find(|c| c.kind == FieldType::Scale);
            if let (true, SheetLayout::Table, Some(text), Some(scale)) = (dated, task.layout, text, scale) {
                let second_day_row = task.blocks[0].rows as usize;
                return Target {
                    token: packet.token.clone(),
                    answers_code: packet.answers_code.clone(),
                    patient_id: link.patient_id.clone(),
                    date: link.date.clone(),
                    task: task.id.clone(),
                    text: answers::cell_key(&task.id, 0, &text.id),
                    scale: answers::cell_key(&task.id, 0, &scale.id),
                    second_day_scale: answers::cell_key(&task.id, second_day_row, &scale.id),
                    scale_label: scale.label.clone(),
                };
            }
        }
    }
    panic!("the example library has no daily table with a scale");
}

/// A CSS selector for the fields named `name`.
pub fn field(name: &str) -> String {
    format!("[name={}]", json!(name))
}

/// The example library built into a temp dir (after `edit`), served, with its first daily table.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub target: Target,
    pub server: Server,
}

impl Site {
    /// Builds and serves it.
    pub fn build(edit: impl FnOnce(&Path)) -> Site {
        let dir = site_from(&repo());
        edit(dir.path());
        build(dir.path()).unwrap();
        let target = target(dir.path());
        let server = Server::start(&dir.path().join("out"));
        Site { dir, target, server }
    }

    /// The address of the target task's page.
    pub fn task_url(&self) -> String {
        self.server.url(&format!("public/{}/{}.html", self.target.token, self.target.task))
    }
}

/// What the form tests do in a page, the same in Chromium ([`super::browser::Page`]) and Firefox
/// ([`super::firefox::Firefox`]), so one journey can be walked in both.
pub trait Driver {
    fn goto(&self, url: &str);
    fn focus(&self, selector: &str);
    fn type_text(&self, text: &str);
    fn press(&self, key: &str);
    fn click(&self, selector: &str);
    fn wait_for(&self, js: &str) -> serde_json::Value;
}

/// Implements [`Driver`] by the driver's own methods of the same names.
macro_rules! driver {
    ($type:ty) => {
        impl Driver for $type {
            fn goto(&self, url: &str) {
                <$type>::goto(self, url)
            }
            fn focus(&self, selector: &str) {
                <$type>::focus(self, selector)
            }
            fn type_text(&self, text: &str) {
                <$type>::type_text(self, text)
            }
            fn press(&self, key: &str) {
                <$type>::press(self, key)
            }
            fn click(&self, selector: &str) {
                <$type>::click(self, selector)
            }
            fn wait_for(&self, js: &str) -> serde_json::Value {
                <$type>::wait_for(self, js)
            }
        }
    };
}
driver!(super::browser::Page<'_>);
driver!(super::firefox::Firefox);

/// Opens the sealed packet of `site`'s target with `password` (decrypted in the page, then shown
/// in place), goes to the target task's page and waits for its form.
pub fn unlock_and_open(page: &impl Driver, site: &Site, password: &str) {
    let t = &site.target;
    page.goto(&site.server.url(&format!("public/{}/index.html", t.token)));
    page.focus("#password");
    page.type_text(password);
    page.press("Enter");
    page.wait_for(&format!("!!document.querySelector('a[href=\"{}.html\"]')", t.task));
    page.click(&format!("a[href=\"{}.html\"]", t.task));
    page.wait_for("document.querySelector('.answers-bar') && !document.querySelector('.answers-bar').hidden");
}
