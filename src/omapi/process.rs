//! Serving one request as ISC's `omapi_message_process_internal` does: which lookups, creates,
//! updates and removals a message asks of the [`ObjectStore`], in ISC's order, and which
//! STATUS (result code and text) answers each failure. The session around it owns framing,
//! signatures and sending.

use super::{CloseReason, Session};
use crate::omapi::auth::AuthKey;
use crate::omapi::store::{Attributes, Handle, ObjectStore, ObjectType, Target, TypeName};
use crate::wire::omapi::{IscResult, Message, Opcode};

/// What the session does with a request's outcome.
pub(super) enum Reply {
    /// UPDATE carrying an object.
    Object(Handle),
    /// STATUS with a result and maybe ISC's text.
    Status(IscResult, Option<&'static str>),
}

impl Session {
    /// Answers one request (ISC `omapi_message_process_internal`).
    pub(super) fn serve<S: ObjectStore + ?Sized>(&mut self, req: Request, store: &mut S) {
        let id = req.message.id;
        if !req.verified {
            return self.send_status(None, id, IscResult::InvalidKey, None);
        }
        if req.message.rid != 0 {
            return self.close(CloseReason::UnsolicitedResponse(req.message.rid));
        }
        let keyed = self.config.omapi_key.is_some();
        if keyed && req.key.is_none() && req.message.op != Opcode::Open {
            return self.send_status(None, id, IscResult::NoKeys, Some(NO_AUTHENTICATOR));
        }
        let reply = match req.message.op {
            Opcode::Open => self.open(&req, store),
            Opcode::Refresh => refresh(req.message.handle, store),
            Opcode::Update => update(&req, store),
            Opcode::Notify => Reply::Status(
                IscResult::NotImplemented,
                Some("notify not implemented yet"),
            ),
            Opcode::Status => return self.close(CloseReason::UnsolicitedStatus),
            Opcode::Delete => delete(req.message.handle, store),
            Opcode::Unknown(op) => return self.close(CloseReason::UnknownOp(op)),
        };
        match reply {
            Reply::Status(result, text) => self.send_status(req.key, id, result, text),
            Reply::Object(handle) => self.send_object(req.key, id, handle, store),
        }
    }

    /// OPEN: find (or create) an object, maybe update it, maybe select it as the
    /// connection's key.
    fn open<S: ObjectStore + ?Sized>(&mut self, req: &Request, store: &mut S) -> Reply {
        let values = Attributes::from_values(&req.message.message_values);
        let object = Attributes::from_values(&req.message.object_values);
        let type_name = values.get("type").map_or(TypeName::Unknown, TypeName::of);
        let opens_key = type_name == TypeName::Searchable(ObjectType::Authenticator);
        if self.config.omapi_key.is_some() && req.key.is_none() && !opens_key {
            return Reply::Status(IscResult::NoKeys, Some(NO_AUTHENTICATOR));
        }
        let flag = |name: &'static str, text: &'static str| match values.get_u32(name) {
            None => Ok(false),
            Some(Ok(v)) => Ok(v != 0),
            Some(Err(())) => Err(Reply::Status(IscResult::InvalidArg, Some(text))),
        };
        let (create, update, exclusive) = match (
            flag("create", "invalid create flag value"),
            flag("update", "invalid update flag value"),
            flag("exclusive", "invalid exclusive flag value"),
        ) {
            (Ok(c), Ok(u), Ok(e)) => (c, u, e),
            (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
        };
        let kind = match type_name {
            TypeName::Searchable(kind) => kind,
            TypeName::Unsearchable => {
                return Reply::Status(IscResult::NotImplemented, Some("unsearchable object type"));
            }
            TypeName::Unknown if create => {
                return Reply::Status(IscResult::InvalidArg, Some("type required on create"));
            }
            TypeName::Unknown => return refresh(req.message.handle, store),
        };
        let looked = if kind == ObjectType::Authenticator {
            self.lookup_key(&object)
        } else {
            store.lookup(kind, &object).map(Found::Object)
        };
        let found = match looked {
            Ok(found) => {
                if create && exclusive {
                    return Reply::Status(
                        IscResult::Exists,
                        Some("specified object already exists"),
                    );
                }
                found
            }
            Err(IscResult::NotFound) if !create => {
                return Reply::Status(IscResult::NotFound, Some("no object matches specification"));
            }
            // ISC creates the object when the lookup found no key to search by, even
            // without the create flag.
            Err(IscResult::NotFound | IscResult::NoKeys) => {
                let made = match kind {
                    ObjectType::Authenticator => Err(IscResult::NotImplemented),
                    _ => store.create(kind),
                };
                match made {
                    Ok(handle) => Found::Object(handle),
                    Err(e) => return Reply::Status(e, Some("can't create new object")),
                }
            }
            Err(e) => return Reply::Status(e, Some("object lookup failed")),
        };
        if create || update {
            match &found {
                // ISC refuses after the lookup succeeded, with that success as the result.
                Found::Key(_) => return Reply::Status(IscResult::Success, Some(CANT_UPDATE)),
                Found::Object(handle) => {
                    if let Err(e) = apply(*handle, req.message.handle, &object, store) {
                        return Reply::Status(e, Some(CANT_UPDATE));
                    }
                }
            }
        }
        match found {
            Found::Object(handle) => Reply::Object(handle),
            Found::Key(key) => {
                let handle = store.key_handle(key.name());
                let allowed = match &self.config.omapi_key {
                    Some(name) => name.eq_ignore_ascii_case(key.name()),
                    None => true,
                };
                if !allowed {
                    return Reply::Status(
                        IscResult::InvalidKey,
                        Some("can't select authenticator"),
                    );
                }
                if !self.auths.iter().any(|(h, _)| *h == handle) {
                    self.auths.push((handle, key));
                }
                Reply::Object(handle)
            }
        }
    }

    /// ISC `omapi_auth_key_lookup`: the key whose name and algorithm the client gave.
    fn lookup_key(&self, object: &Attributes) -> Result<Found, IscResult> {
        if self.config.keys.is_empty() {
            return Err(IscResult::NotFound);
        }
        if object.is_empty() {
            return Err(IscResult::NoKeys);
        }
        let name = object.get("name").ok_or(IscResult::NotFound)?;
        let algorithm = object.get("algorithm").ok_or(IscResult::NotFound)?;
        let key = self
            .config
            .keys
            .lookup(name, algorithm)
            .ok_or(IscResult::NotFound)?;
        Ok(Found::Key(key.clone()))
    }
}

const NO_AUTHENTICATOR: &str = "No authenticator on message";
const CANT_UPDATE: &str = "can't update object";

/// A received message ready to be served.
pub(super) struct Request {
    pub(super) message: Message,
    /// Index in `Session::auths` of the key named by `authid`.
    pub(super) key: Option<usize>,
    /// False when that key's signature did not match (or was missing).
    pub(super) verified: bool,
}

/// What an OPEN's lookup found.
enum Found {
    Key(AuthKey),
    Object(Handle),
}

/// Applies an update's values (ISC `omapi_object_update`: no values at all is INVALIDARG),
/// then the header's handle as `remote-handle`.
fn apply<S: ObjectStore + ?Sized>(
    handle: Handle,
    header: Handle,
    values: &Attributes,
    store: &mut S,
) -> Result<(), IscResult> {
    if values.is_empty() {
        return Err(IscResult::InvalidArg);
    }
    store.update(handle, values)?;
    if header != 0 {
        store.remote_handle(handle, header);
    }
    Ok(())
}

/// REFRESH (and OPEN without a known type): the object behind the header's handle.
fn refresh<S: ObjectStore + ?Sized>(handle: Handle, store: &mut S) -> Reply {
    match store.target(handle) {
        Some(_) => Reply::Object(handle),
        None => Reply::Status(IscResult::NotFound, Some("no matching handle")),
    }
}

/// UPDATE sent by a client: set values on the object behind the header's handle.
fn update<S: ObjectStore + ?Sized>(req: &Request, store: &mut S) -> Reply {
    let handle = req.message.handle;
    match store.target(handle) {
        None => Reply::Status(IscResult::NotFound, Some("no matching handle")),
        Some(Target::Key(_)) => {
            Reply::Status(IscResult::Success, Some("cannot update authenticator"))
        }
        Some(Target::Object(_)) => {
            let values = Attributes::from_values(&req.message.object_values);
            match apply(handle, handle, &values, store) {
                Ok(()) => Reply::Status(IscResult::Success, None),
                Err(e) => Reply::Status(e, Some(CANT_UPDATE)),
            }
        }
    }
}

/// DELETE: remove the object behind the header's handle.
fn delete<S: ObjectStore + ?Sized>(handle: Handle, store: &mut S) -> Reply {
    match store.target(handle) {
        None => Reply::Status(IscResult::NotFound, Some("no matching handle")),
        Some(Target::Key(_)) => Reply::Status(
            IscResult::NotImplemented,
            Some("no remove method for object"),
        ),
        Some(Target::Object(_)) => match store.remove(handle) {
            Ok(()) => Reply::Status(IscResult::Success, None),
            Err(e) => Reply::Status(e, None),
        },
    }
}
