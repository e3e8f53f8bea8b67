//! The one DHCP option table.
