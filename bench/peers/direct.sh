# The origin itself, without a proxy: the ceiling every proxy is compared with.
peer_direct_label() { echo "direct"; }
peer_direct_jit() { echo 0; }
peer_direct_workers() { echo 0; }
# tcp: the load goes to the origin's own port. No TLS: a TLS origin would share the load
# core, which makes it no ceiling for a proxy that terminates TLS on a core of its own.
peer_direct_listeners() { echo tcp; }
peer_direct_packages() { :; }
peer_direct_prepare() { :; }
peer_direct_version() { echo "(origin: $(origin_version))"; }
peer_direct_settings() { echo "no proxy: wrk talks to the origin"; }
# Handled by run.sh: the load goes to the origin's port; nothing is started.
peer_direct_start() { PEER_PGID=""; PEER_LOG=""; }
