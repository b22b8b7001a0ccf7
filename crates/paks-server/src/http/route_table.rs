//! The router together with the list of (method, path) pairs it answers, built in one go so
//! the OpenAPI document can be checked against what is really routed.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};

use super::SharedState;

/// One builder method per HTTP method: `get(path, handler)` routes and records GET `path`.
macro_rules! routing_methods {
    ($($name:ident => $method:ident),*) => {$(
        pub fn $name<H: Handler<T, SharedState>, T: 'static>(self, path: &'static str, h: H) -> Self {
            self.add(Method::$method, path, routing::$name(h))
        }
    )*};
}

#[derive(Default)]
pub struct RouteTable {
    router: Router<SharedState>,
    endpoints: Vec<(Method, &'static str)>,
}

impl RouteTable {
    pub fn new() -> Self {
        Self::default()
    }

    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<SharedState>) -> Self {
        // axum merges the methods of a path routed more than once.
        self.router = self.router.route(path, route);
        self.endpoints.push((method, path));
        self
    }

    routing_methods!(get => GET, post => POST, head => HEAD, patch => PATCH, delete => DELETE, options => OPTIONS);

    pub fn merge(mut self, other: RouteTable) -> Self {
        self.router = self.router.merge(other.router);
        self.endpoints.extend(other.endpoints);
        self
    }

    /// Applies `wrap` (a layer, say) to the routes added so far.
    pub fn wrap(mut self, wrap: impl FnOnce(Router<SharedState>) -> Router<SharedState>) -> Self {
        self.router = wrap(self.router);
        self
    }

    pub fn into_router(self) -> Router<SharedState> {
        self.router
    }

    /// Every (method, path) pair routed, besides the HEAD that axum answers for each GET.
    pub fn endpoints(&self) -> &[(Method, &'static str)] {
        &self.endpoints
    }
}
