//! The one `view` of a named.conf that every query matches (`flat_view`): BIND answers every
//! query from it, so its zones, keys and options are read as if they stood at the top level
//! (`Resolver::flatten_view`). Views that choose by client are not served (`resolve` warns).

use super::grammar::{Item, Stmt};
use super::model::{AddressMatchList, NamedConf, Options};
use super::resolve::Resolver;

/// The one view of a configuration that is no view at all, if it is: the only IN-class view,
/// with no zone outside it and no `match-clients`, `match-destinations` or
/// `match-recursive-only` that could leave a query out (absent, or `{ any; }`, or `no`). BIND
/// answers every query from it, as if its zones and options stood at the top level. (Whether a
/// list says `any` is checked here on the raw statements; `flatten_view` reads them.)
pub(super) fn flat_view(stmts: &[Stmt]) -> Option<&Stmt> {
    if stmts.iter().any(|s| s.keyword() == "zone") {
        return None;
    }
    let mut views = stmts.iter().filter(|s| {
        s.keyword() == "view"
            && s.items
                .get(2)
                .and_then(Item::text)
                .is_none_or(|c| c.eq_ignore_ascii_case("in"))
    });
    let view = views.next()?;
    if views.next().is_some() {
        return None;
    }
    let Some(Item::Block(body, _)) = view.items.last() else {
        return None;
    };
    let matches_all = body.iter().all(|s| match s.keyword().as_str() {
        "match-clients" | "match-destinations" => match s.items.as_slice() {
            [_, Item::Block(list, _)] => match list.as_slice() {
                [one] => matches!(one.items.as_slice(), [v] if is_word(v, "any")),
                _ => false,
            },
            _ => false,
        },
        "match-recursive-only" => s
            .items
            .get(1)
            .is_some_and(|v| ["no", "false", "0"].iter().any(|w| is_word(v, w))),
        _ => true,
    });
    matches_all.then_some(view)
}

/// Is `item` the word or string `word` (any case)?
fn is_word(item: &Item, word: &str) -> bool {
    item.text().is_some_and(|t| t.eq_ignore_ascii_case(word))
}

impl<'s> Resolver<'s, '_> {
    /// The zones, keys and options of the configuration's one view that every query matches
    /// (`flat_view`), taken as if written at the top level: the view's options over the
    /// global ones.
    pub(super) fn flatten_view(&mut self, stmt: &'s Stmt, conf: &mut NamedConf) {
        let Some(body) = self.block_at(stmt, stmt.items.len().saturating_sub(1)) else {
            return;
        };
        let mut o = Options::default();
        for s in body {
            match s.keyword().as_str() {
                "zone" => {
                    if let Some(zone) = self.zone(s, conf.options.directory.as_ref()) {
                        conf.zones.push(zone);
                    }
                }
                "key" => {
                    if let Some(key) = self.key(s) {
                        conf.keys.push(key);
                    }
                }
                "match-clients" | "match-destinations" | "match-recursive-only" => {}
                _ => self.option(&mut o, s),
            }
        }
        let g = &mut conf.options;
        let keep = |view: &mut Option<AddressMatchList>, global: &mut Option<AddressMatchList>| {
            if view.is_some() {
                *global = view.take();
            }
        };
        keep(&mut o.allow_query, &mut g.allow_query);
        keep(&mut o.allow_transfer, &mut g.allow_transfer);
        keep(&mut o.allow_recursion, &mut g.allow_recursion);
        keep(&mut o.allow_notify, &mut g.allow_notify);
        if !o.also_notify.is_empty() {
            g.also_notify = o.also_notify;
        }
        if !o.forwarders.is_empty() {
            g.forwarders = o.forwarders;
        }
        g.recursion = o.recursion.or(g.recursion);
        g.notify = o.notify.or(g.notify);
        g.minimal_responses = o.minimal_responses.or(g.minimal_responses);
        g.forward = o.forward.or(g.forward);
    }
}
