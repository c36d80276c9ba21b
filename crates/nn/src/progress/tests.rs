// Test-only module: declared under #[cfg(test)] in progress.rs.
