//! macOS: which executable of an Electron app bundle runs Node services, and where its fuses
//! are.
//!
//! A process started from the bundle's main executable (`X.app/Contents/MacOS/X`) gets a Dock
//! icon of its own. Electron's own child processes run on the bundle's helper instead,
//! `X.app/Contents/Frameworks/<name> Helper.app/Contents/MacOS/<name> Helper`, whose
//! `Info.plist` says `LSUIElement` (no Dock icon); the helper is the same program and runs as
//! Node with `ELECTRON_RUN_AS_NODE=1` too. Electron finds it (`electron_main_delegate_mac.mm`,
//! `OverrideChildProcessPath`) under `<name>` = `Electron` first (an app whose helpers were
//! never renamed, and `Electron.app` in development), then the bundle's `CFBundleName`
//! (packagers rename the helpers after the app). pm looks in the same order, then after the
//! main executable's name and the bundle's (for an `Info.plist` it cannot read), and takes only
//! the plain helper, not `(Renderer)`, `(GPU)` or `(Plugin)`.
//!
//! The `RunAsNode` fuse of a bundle lives in `Contents/Frameworks/Electron Framework.framework/
//! Electron Framework` (what `@electron/fuses` flips), shared by the main executable and the
//! helpers: [`framework_binary`] finds it from either.
//!
//! Pure: the file system comes in through [`BundleFiles`], so the lookup is tested on every
//! host against made-up bundle layouts.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// What the lookup needs to know about the file system.
pub(crate) trait BundleFiles {
    fn exists(&self, path: &Path) -> bool;
    /// The file's text, if it can be read as UTF-8.
    fn read_to_string(&self, path: &Path) -> Option<String>;
}

/// The real file system.
pub(crate) struct OsFiles;

impl BundleFiles for OsFiles {
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn read_to_string(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
}

/// Electron's name for itself (`ELECTRON_PRODUCT_NAME`), which helpers carry until a packager
/// renames them.
const PRODUCT_NAME: &str = "Electron";

/// The outcome of looking for the helper that Node services should run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Helper {
    /// Run Node services on this executable: the bundle's helper (or the executable given,
    /// when it is a helper already).
    Found(PathBuf),
    /// The executable is a bundle's main executable, but none of these helpers exists.
    Missing(Vec<PathBuf>),
    /// The executable is not inside an app bundle (`X.app/Contents/MacOS/`).
    NotInBundle,
}

fn is_named(path: &Path, name: &str) -> bool {
    path.file_name() == Some(OsStr::new(name))
}

fn is_app(path: &Path) -> bool {
    path.extension() == Some(OsStr::new("app"))
}

/// For an executable at `<A>.app/Contents/MacOS/<exe>`: the bundle's `Contents`.
fn contents_of(exe: &Path) -> Option<&Path> {
    let macos = exe.parent().filter(|p| is_named(p, "MacOS"))?;
    let contents = macos.parent().filter(|p| is_named(p, "Contents"))?;
    contents.parent().filter(|app| is_app(app))?;
    Some(contents)
}

/// The main bundle's `Contents` when `exe` is one of its helpers:
/// `Contents/Frameworks/<name> Helper.app/Contents/MacOS/<name> Helper` (Electron's own test
/// of whether it runs as a helper looks at the ` Helper` ending too).
fn main_contents_of_helper(exe: &Path) -> Option<&Path> {
    let helper_app = contents_of(exe)?.parent()?;
    let frameworks = helper_app.parent().filter(|p| is_named(p, "Frameworks"))?;
    let main_contents = frameworks.parent().filter(|p| is_named(p, "Contents"))?;
    main_contents.parent().filter(|app| is_app(app))?;
    let name = exe.file_name()?.to_str()?;
    (name.ends_with(" Helper") && helper_app.file_stem()? == name).then_some(main_contents)
}

/// `Contents/Frameworks/<name> Helper.app/Contents/MacOS/<name> Helper`.
fn helper_path(contents: &Path, name: &str) -> PathBuf {
    let helper = format!("{name} Helper");
    contents
        .join("Frameworks")
        .join(format!("{helper}.app"))
        .join("Contents")
        .join("MacOS")
        .join(helper)
}

/// The executable that Node services should run on instead of `exe` (`process.execPath`).
pub(crate) fn helper_for(exe: &Path, files: &dyn BundleFiles) -> Helper {
    if main_contents_of_helper(exe).is_some() {
        return Helper::Found(exe.to_path_buf());
    }
    let Some(contents) = contents_of(exe) else {
        return Helper::NotInBundle;
    };
    let bundle_name = files
        .read_to_string(&contents.join("Info.plist"))
        .and_then(|plist| plist_string(&plist, "CFBundleName"));
    let exe_name = exe.file_name().and_then(OsStr::to_str);
    let app_stem = contents
        .parent()
        .and_then(Path::file_stem)
        .and_then(OsStr::to_str);
    let mut names: Vec<&str> = Vec::new();
    for name in [
        Some(PRODUCT_NAME),
        bundle_name.as_deref(),
        exe_name,
        app_stem,
    ]
    .into_iter()
    .flatten()
    {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    let candidates: Vec<PathBuf> = names.iter().map(|n| helper_path(contents, n)).collect();
    match candidates.iter().find(|p| files.exists(p)) {
        Some(found) => Helper::Found(found.clone()),
        None => Helper::Missing(candidates),
    }
}

/// The binary that runs Node services for a main process whose executable is `exe`, and the
/// notice to give (once) when that is not a helper. Only meaningful on macOS in Electron.
pub(crate) fn node_binary(exe: &Path, files: &dyn BundleFiles) -> (PathBuf, Option<String>) {
    let missing = match helper_for(exe, files) {
        Helper::Found(helper) => return (helper, None),
        Helper::Missing(looked) => {
            let looked: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
            format!("found no helper app (looked for {})", looked.join(", "))
        }
        Helper::NotInBundle => {
            "is not inside an app bundle (…/<App>.app/Contents/MacOS/), so it has no helper app"
                .to_string()
        }
    };
    let notice = format!(
        "{} {missing}: Node services run on it instead, and each may show a Dock icon. A \
         packaged app has the helper (Contents/Frameworks/<App> Helper.app)",
        exe.display()
    );
    (exe.to_path_buf(), Some(notice))
}

/// The Electron Framework binary of the bundle that `exe` (its main executable or a helper)
/// belongs to, when it exists: where the bundle's fuses are.
pub(crate) fn framework_binary(exe: &Path, files: &dyn BundleFiles) -> Option<PathBuf> {
    let contents = main_contents_of_helper(exe).or_else(|| contents_of(exe))?;
    let framework = contents
        .join("Frameworks")
        .join(format!("{PRODUCT_NAME} Framework.framework"))
        .join(format!("{PRODUCT_NAME} Framework"));
    files.exists(&framework).then_some(framework)
}

/// The `<string>` value of `key` in an XML property list (what packagers write), with XML's
/// five entities and numeric references decoded; `None` for a binary plist or a missing key.
fn plist_string(plist: &str, key: &str) -> Option<String> {
    let tag = format!("<key>{key}</key>");
    let after = &plist[plist.find(&tag)? + tag.len()..];
    let after = after.trim_start();
    let value = after.strip_prefix("<string>")?;
    let raw = &value[..value.find("</string>")?];
    decode_entities(raw)
}

fn decode_entities(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';')? + at;
        let entity = &rest[at + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    entity.strip_prefix('#')?.parse().ok()?
                };
                char::from_u32(code)?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A made-up file system: these files exist, with this text (or none).
    #[derive(Default)]
    struct Fake(Vec<(PathBuf, Option<String>)>);

    impl Fake {
        fn file(mut self, path: &str) -> Self {
            self.0.push((PathBuf::from(path), None));
            self
        }
        fn plist(mut self, path: &str, bundle_name: &str) -> Self {
            let bundle_name = bundle_name.replace('&', "&amp;");
            let text = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n\
                 \t<key>CFBundleExecutable</key>\n\t<string>x</string>\n\
                 \t<key>CFBundleName</key>\n\t<string>{bundle_name}</string>\n</dict>\n</plist>\n"
            );
            self.0.push((PathBuf::from(path), Some(text)));
            self
        }
    }

    impl BundleFiles for Fake {
        fn exists(&self, path: &Path) -> bool {
            self.0.iter().any(|(p, _)| p == path)
        }
        fn read_to_string(&self, path: &Path) -> Option<String> {
            self.0
                .iter()
                .find(|(p, _)| p == path)
                .and_then(|(_, t)| t.clone())
        }
    }

    fn found(path: &str) -> Helper {
        Helper::Found(PathBuf::from(path))
    }

    const MY_APP: &str = "/Applications/My App.app/Contents";

    #[test]
    fn an_app_named_with_spaces_runs_services_on_its_helper() {
        let files = Fake::default()
            .plist(&format!("{MY_APP}/Info.plist"), "My App")
            .file(&format!("{MY_APP}/MacOS/My App"))
            .file(&format!(
                "{MY_APP}/Frameworks/My App Helper (Renderer).app/Contents/MacOS/My App Helper (Renderer)"
            ))
            .file(&format!(
                "{MY_APP}/Frameworks/My App Helper.app/Contents/MacOS/My App Helper"
            ));
        let exe = format!("{MY_APP}/MacOS/My App");
        assert_eq!(
            helper_for(Path::new(&exe), &files),
            found(&format!(
                "{MY_APP}/Frameworks/My App Helper.app/Contents/MacOS/My App Helper"
            ))
        );
        let (binary, notice) = node_binary(Path::new(&exe), &files);
        assert!(binary.ends_with("My App Helper") && notice.is_none());
    }

    #[test]
    fn electron_app_in_development_runs_services_on_electron_helper() {
        let dist = "/home/me/app/node_modules/electron/dist/Electron.app/Contents";
        let files = Fake::default()
            .plist(&format!("{dist}/Info.plist"), "Electron")
            .file(&format!(
                "{dist}/Frameworks/Electron Helper.app/Contents/MacOS/Electron Helper"
            ));
        assert_eq!(
            helper_for(Path::new(&format!("{dist}/MacOS/Electron")), &files),
            found(&format!(
                "{dist}/Frameworks/Electron Helper.app/Contents/MacOS/Electron Helper"
            ))
        );
    }

    #[test]
    fn a_renamed_app_is_found_by_its_bundle_name_then_its_executable_then_its_folder() {
        // electron-builder / @electron/packager: bundle "Acme Notes.app", an executable named
        // apart from the product, helpers named after CFBundleName.
        let c = "/Applications/Acme Notes.app/Contents";
        let helper =
            format!("{c}/Frameworks/Acme Notes Helper.app/Contents/MacOS/Acme Notes Helper");
        let files = Fake::default()
            .plist(&format!("{c}/Info.plist"), "Acme Notes")
            .file(&helper);
        assert_eq!(
            helper_for(Path::new(&format!("{c}/MacOS/acme-notes")), &files),
            found(&helper)
        );
        // The bundle renamed by its user, Info.plist still the packager's.
        let c2 = "/Applications/Notes (old).app/Contents";
        let files = Fake::default()
            .plist(&format!("{c2}/Info.plist"), "Acme & Co")
            .file(&format!(
                "{c2}/Frameworks/Acme & Co Helper.app/Contents/MacOS/Acme & Co Helper"
            ));
        assert_eq!(
            helper_for(Path::new(&format!("{c2}/MacOS/acme")), &files),
            found(&format!(
                "{c2}/Frameworks/Acme & Co Helper.app/Contents/MacOS/Acme & Co Helper"
            ))
        );
        // No readable Info.plist (binary plist): the executable's name, then the bundle's.
        let files = Fake::default().file(&helper);
        assert_eq!(
            helper_for(Path::new(&format!("{c}/MacOS/acme-notes")), &files),
            found(&helper)
        );
        let by_exe = format!("{c}/Frameworks/Notes Helper.app/Contents/MacOS/Notes Helper");
        let files = Fake::default().file(&by_exe);
        assert_eq!(
            helper_for(Path::new(&format!("{c}/MacOS/Notes")), &files),
            found(&by_exe)
        );
    }

    #[test]
    fn helpers_never_renamed_win_as_in_electron() {
        let c = "/Applications/Acme.app/Contents";
        let files = Fake::default()
            .plist(&format!("{c}/Info.plist"), "Acme")
            .file(&format!(
                "{c}/Frameworks/Electron Helper.app/Contents/MacOS/Electron Helper"
            ))
            .file(&format!(
                "{c}/Frameworks/Acme Helper.app/Contents/MacOS/Acme Helper"
            ));
        assert_eq!(
            helper_for(Path::new(&format!("{c}/MacOS/Acme")), &files),
            found(&format!(
                "{c}/Frameworks/Electron Helper.app/Contents/MacOS/Electron Helper"
            ))
        );
    }

    #[test]
    fn a_missing_helper_falls_back_to_the_main_executable_with_a_notice() {
        let c = "/Applications/Acme.app/Contents";
        // Only the helpers Electron itself does not run Node on.
        let files = Fake::default()
            .plist(&format!("{c}/Info.plist"), "Acme")
            .file(&format!(
                "{c}/Frameworks/Acme Helper (GPU).app/Contents/MacOS/Acme Helper (GPU)"
            ))
            .file(&format!(
                "{c}/Frameworks/Acme Helper.app/Contents/MacOS/other"
            ));
        let exe = format!("{c}/MacOS/Acme");
        match helper_for(Path::new(&exe), &files) {
            Helper::Missing(looked) => assert_eq!(
                looked,
                [
                    PathBuf::from(format!(
                        "{c}/Frameworks/Electron Helper.app/Contents/MacOS/Electron Helper"
                    )),
                    PathBuf::from(format!(
                        "{c}/Frameworks/Acme Helper.app/Contents/MacOS/Acme Helper"
                    )),
                ]
            ),
            other => panic!("{other:?}"),
        }
        let (binary, notice) = node_binary(Path::new(&exe), &files);
        assert_eq!(binary, PathBuf::from(&exe));
        let notice = notice.unwrap();
        assert!(
            notice.contains("found no helper app") && notice.contains("Dock icon"),
            "{notice}"
        );
    }

    #[test]
    fn an_unbundled_electron_has_no_helper() {
        for exe in [
            "/opt/electron/electron",
            "/Users/me/electron/out/Release/Electron",
            "/Applications/Acme.app/Contents/Resources/electron",
            "/Contents/MacOS/Acme",
        ] {
            assert_eq!(
                helper_for(Path::new(exe), &Fake::default()),
                Helper::NotInBundle,
                "{exe}"
            );
            let (binary, notice) = node_binary(Path::new(exe), &Fake::default());
            assert_eq!(binary, PathBuf::from(exe));
            assert!(notice.unwrap().contains("not inside an app bundle"));
        }
    }

    #[test]
    fn a_helper_is_its_own_helper() {
        // pm used inside a process that already runs on the helper (a service managing its own).
        let exe = format!("{MY_APP}/Frameworks/My App Helper.app/Contents/MacOS/My App Helper");
        assert_eq!(helper_for(Path::new(&exe), &Fake::default()), found(&exe));
        // A renderer helper is not (it is not inside pm's reach anyway): looked up as a bundle.
        let renderer = format!(
            "{MY_APP}/Frameworks/My App Helper (Renderer).app/Contents/MacOS/My App Helper (Renderer)"
        );
        assert!(matches!(
            helper_for(Path::new(&renderer), &Fake::default()),
            Helper::Missing(_)
        ));
    }

    #[test]
    fn the_framework_holding_the_fuses_is_found_from_the_main_executable_and_the_helper() {
        let framework =
            format!("{MY_APP}/Frameworks/Electron Framework.framework/Electron Framework");
        let files = Fake::default().file(&framework);
        for exe in [
            format!("{MY_APP}/MacOS/My App"),
            format!("{MY_APP}/Frameworks/My App Helper.app/Contents/MacOS/My App Helper"),
        ] {
            assert_eq!(
                framework_binary(Path::new(&exe), &files),
                Some(PathBuf::from(&framework)),
                "{exe}"
            );
        }
        assert_eq!(
            framework_binary(
                Path::new(&format!("{MY_APP}/MacOS/My App")),
                &Fake::default()
            ),
            None
        );
        assert_eq!(
            framework_binary(Path::new("/opt/electron/electron"), &files),
            None
        );
    }

    #[test]
    fn plist_strings_are_read_from_xml_only() {
        let plist =
            "<dict><key>CFBundleName</key>\n\t <string>A &amp; B &lt;&#x263A;&#65;&gt;</string>\
                     <key>Other</key><string>x</string></dict>";
        assert_eq!(
            plist_string(plist, "CFBundleName").as_deref(),
            Some("A & B <\u{263A}A>")
        );
        assert_eq!(plist_string(plist, "Other").as_deref(), Some("x"));
        assert_eq!(plist_string(plist, "Missing"), None);
        assert_eq!(
            plist_string(
                "<key>CFBundleName</key><integer>1</integer>",
                "CFBundleName"
            ),
            None
        );
        assert_eq!(
            plist_string("<key>CFBundleName</key><string>a &bogus b", "CFBundleName"),
            None
        );
        assert_eq!(plist_string("bplist00\u{1}\u{2}", "CFBundleName"), None);
    }
}
