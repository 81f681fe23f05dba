//! A stack's files with their syntax indexes: what navigation, hover and completion read.

use crate::index::{Decl, FileIndex, Ref};
use crate::stack::Stack;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub struct Analysis {
    pub stack: Stack,
    /// Each file's index: of its text, or (when the text does not parse, as while typing) of
    /// the last text that did.
    pub index: Vec<(PathBuf, FileIndex)>,
    /// The worker's compiles, for the values hover shows.
    pub compiles: crate::stack::Compiles,
}

/// A name at a position: the namespace and name of a declaration or a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub ns: String,
    pub name: String,
}

fn within(r: &Range<usize>, offset: usize) -> bool {
    r.start <= offset && offset <= r.end
}

impl Analysis {
    pub fn new(
        stack: Stack,
        last_good: &mut HashMap<PathBuf, FileIndex>,
        compiles: crate::stack::Compiles,
    ) -> Analysis {
        let index = stack
            .files
            .iter()
            .map(|(p, t)| {
                let ix = match crate::index::index(t) {
                    Some(ix) => {
                        last_good.insert(p.clone(), ix.clone());
                        ix
                    }
                    None => last_good.get(p).cloned().unwrap_or_default(),
                };
                (p.clone(), ix)
            })
            .collect();
        Analysis {
            stack,
            index,
            compiles,
        }
    }

    pub fn file(&self, path: &Path) -> Option<&FileIndex> {
        self.index.iter().find(|(p, _)| p == path).map(|(_, i)| i)
    }

    pub fn text(&self, path: &Path) -> &str {
        self.stack.text(path).unwrap_or("")
    }

    /// The reference whose namespace or name is at `offset`.
    pub fn ref_at(&self, path: &Path, offset: usize) -> Option<&Ref> {
        self.file(path)?
            .refs
            .iter()
            .find(|r| within(&r.name_range, offset) || within(&r.ns_range, offset))
    }

    /// The declaration or reference at `offset`.
    pub fn target_at(&self, path: &Path, offset: usize) -> Option<Target> {
        if let Some(r) = self.ref_at(path, offset) {
            return Some(Target {
                ns: r.ns.clone(),
                name: r.name.clone(),
            });
        }
        let d = self
            .file(path)?
            .decls
            .iter()
            .find(|d| within(&d.name_range, offset))?;
        Some(Target {
            ns: d.ns.clone(),
            name: d.name.clone(),
        })
    }

    /// The declarations of a name, across the stack's files.
    pub fn decls<'a>(&'a self, t: &'a Target) -> impl Iterator<Item = (&'a Path, &'a Decl)> + 'a {
        self.index.iter().flat_map(move |(p, ix)| {
            ix.decls
                .iter()
                .filter(move |d| d.ns == t.ns && d.name == t.name)
                .map(move |d| (p.as_path(), d))
        })
    }

    /// Every declaration of a namespace (`var`, `local`, `role`, ...), across the stack.
    pub fn names_in(&self, ns: &str) -> Vec<&Decl> {
        self.index
            .iter()
            .flat_map(|(_, ix)| ix.decls.iter().filter(|d| d.ns == ns))
            .collect()
    }

    /// The outputs of the module that the stack's `module "NAME"` block calls: the module
    /// directory's files (open buffers over disk) with their `output` declarations.
    pub fn module_outputs(&self, name: &str) -> Vec<(PathBuf, String, Decl)> {
        let Some(source) = self
            .names_in("module")
            .into_iter()
            .find(|d| d.name == name)
            .and_then(|d| d.source.clone())
        else {
            return vec![];
        };
        let dir = self.stack.dir.join(source);
        let module = Stack::read(&dir, self.stack.overlay());
        let mut out = vec![];
        for (p, t) in &module.files {
            for d in crate::index::index(t)
                .map(|ix| ix.decls)
                .unwrap_or_default()
            {
                if d.ns == "output" {
                    out.push((p.clone(), t.clone(), d));
                }
            }
        }
        out
    }

    /// The references to a name, across the stack's files.
    pub fn refs<'a>(&'a self, t: &'a Target) -> impl Iterator<Item = (&'a Path, &'a Ref)> + 'a {
        self.index.iter().flat_map(move |(p, ix)| {
            ix.refs
                .iter()
                .filter(move |r| r.ns == t.ns && r.name == t.name)
                .map(move |r| (p.as_path(), r))
        })
    }
}
