//! `sqlx::migrate!` embeds `migrations/` at build time but cannot tell cargo about a new file
//! there; this build script does, so a new migration rebuilds the crate (as sqlx recommends).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
