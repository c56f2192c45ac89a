# The FastGate config every harness starts from (bench/peers/fastgate.sh, bench/failover.sh,
# bench/aot.sh). Sourced, not executed.

# Prints the admin listener, quiet logs, the keep-alive timeout the other proxies get, the
# listener "web" and the route "all" from / to the cluster "origin"; the caller adds the
# cluster (and anything else) after it.
# usage: fastgate_config_head ADMIN_PORT PROXY_PORT
fastgate_config_head() {
    cat <<EOC
[admin]
listen = "127.0.0.1:$1"

[log]
level = "warn"
access = "off"

[defaults]
idle_timeout = "120s"

[[listener]]
name = "web"
listen = "127.0.0.1:$2"

[[route]]
name = "all"
path_prefix = "/"
cluster = "origin"
EOC
}
