"""megam-tui: one terminal console for Docker, KVM/libvirt, SSH hosts and Ceph."""

__version__ = "0.1.0"
