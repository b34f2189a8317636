//! UDP and TCP service.

use crate::cli::ServeConfig;

pub fn serve(_cfg: ServeConfig) -> anyhow::Result<()> {
    anyhow::bail!("serve is not built yet")
}
