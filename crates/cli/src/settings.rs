//! Configuration layering: defaults < TOML file < `JOUSEI_*` environment <
//! command-line flags.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use jousei_server::ServerConfig;

/// Flags that override every other layer.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
}

/// Environment variables (prefix `JOUSEI_`) that name a configuration key,
/// e.g. `JOUSEI_DATABASE_URL`, `JOUSEI_IDLE_TIMEOUT_SECS`.
fn env_layer(known: &[String]) -> HashMap<String, String> {
    std::env::vars()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("JOUSEI_")?.to_ascii_lowercase();
            known.contains(&key).then_some((key, v))
        })
        .collect()
}

fn known_keys() -> anyhow::Result<Vec<String>> {
    let v = serde_json::to_value(ServerConfig::default())?;
    Ok(v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default())
}

/// Resolves the configuration.
pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<ServerConfig> {
    let defaults = toml::to_string(&ServerConfig::default())?;
    let mut b = config::Config::builder()
        .add_source(config::File::from_str(&defaults, config::FileFormat::Toml));
    if let Some(path) = file {
        if !path.exists() {
            anyhow::bail!("configuration file {} does not exist", path.display());
        }
        b = b.add_source(config::File::from(path).format(config::FileFormat::Toml));
    }
    for (k, v) in env_layer(&known_keys()?) {
        b = b.set_override(k, v)?;
    }
    if let Some(url) = &overrides.database_url {
        b = b.set_override("database_url", url.clone())?;
    }
    if let Some(listen) = &overrides.listen {
        b = b.set_override("listen", listen.clone())?;
    }
    let cfg: ServerConfig = b
        .build()
        .context("reading configuration")?
        .try_deserialize()
        .context("invalid configuration (unknown key or wrong type?)")?;
    Ok(cfg)
}

/// The default configuration as a commented TOML file.
pub fn default_toml() -> anyhow::Result<String> {
    let body = toml::to_string(&ServerConfig::default())?;
    Ok(format!(
        "# jousei configuration. Every key can also be set as JOUSEI_<KEY> in the\n\
         # environment (e.g. JOUSEI_DATABASE_URL); command-line flags win over both.\n\
         # database_url: sqlite://PATH (embedded) or postgres://USER@HOST/DB\n\
         # idle_timeout_secs: sign out after this long without activity\n\
         # backup_dir = \"/var/backups/jousei\" turns on a daily backup at backup_time\n\
         # (Asia/Tokyo), kept by backup_keep, encrypted to backup_key_file if set\n\n{body}"
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let dir = std::env::temp_dir().join(format!("jousei-cfg-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("jousei.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nidle_timeout_secs = 600\ndatabase_url = \"sqlite://from-file.db\"\n").unwrap();
        let cfg = load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(cfg.listen, "0.0.0.0:9000");
        assert_eq!(cfg.idle_timeout_secs, 600);
        assert_eq!(cfg.session_max_hours, 12, "default kept");
        let cfg = load(
            Some(&file),
            &Overrides {
                database_url: Some("sqlite://flag.db".into()),
                listen: None,
            },
        )
        .unwrap();
        assert_eq!(
            cfg.database_url, "sqlite://flag.db",
            "flags win over the file"
        );
        std::fs::write(&file, "no_such_key = 1\n").unwrap();
        assert!(
            load(Some(&file), &Overrides::default()).is_err(),
            "unknown keys are refused"
        );
        assert!(load(Some(&dir.join("missing.toml")), &Overrides::default()).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
