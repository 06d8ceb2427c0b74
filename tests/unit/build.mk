# cmocka unit tests, built with AddressSanitizer and UBSan.
CHECK_TARGETS += check-unit

UNIT_TESTS += test_guest_mem
UNIT_TESTS += test_pv_bounce
UNIT_TESTS += test_cpuid
UNIT_TESTS += test_emul_priv
UNIT_TESTS += test_debugreg
UNIT_TESTS += test_physdev
UNIT_TESTS += test_callbacks test_vcpu_op test_memory_op
UNIT_TESTS += test_elf
UNIT_TESTS += test_bzimage
UNIT_TESTS += test_pv_layout
UNIT_TESTS += test_grant_table test_gnttab_dom0
UNIT_TESTS += test_gnttab_v2

# xenstored and config-file tests link their own libraries (rules below).
XS_UNIT_TESTS := test_xs_wire test_xs_tree test_xs_perms test_xs_tx \
                 test_xs_watch test_xs_quota test_xs_ring
UNIT_TESTS += $(XS_UNIT_TESTS) test_config
UNIT_TESTS += test_event_channel test_evtchn_fifo
UNIT_TESTS += test_time
UNIT_TESTS += test_page_type test_ptwr_decode
UNIT_TESTS += test_m2p_compat
# Grant maps into a domU (gnttab_map.c).
UNIT_TESTS += test_gnttab_map
# PVH pieces without KVM (arch/x86/hvm, elf_pvh_parse).
UNIT_TESTS += test_pvh
# Direct Linux boot for HVM (arch/x86/hvm/linux_boot.c), no KVM.
UNIT_TESTS += test_linux_boot
# ACPI tables for HVM guests (arch/x86/hvm/acpi.c).
UNIT_TESTS += test_acpi
# HVM's user-space PC devices (uart16550.c, rtc_cmos.c, pc_power.c).
UNIT_TESTS += test_uart16550 test_rtc_cmos test_pc_power
# The HVM PC's PCI bus and Xen platform device (pci_host.c, xen_platform.c).
UNIT_TESTS += test_pci_host

UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBPVISOR_SAN) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit -o $@ $< $(LIBPVISOR_SAN) $(LDLIBS) -lcmocka

check-unit: $(UNIT_BINS)
	$(Q)sh tests/unit/run.sh $(UNIT_BINS)

$(XS_UNIT_TESTS:%=$(BUILD)/tests/unit/%): $(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/xs_test.h $(LIBXENSTORED_SAN) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit -Itoolstack/xenstored -o $@ $< $(LIBXENSTORED_SAN) $(XS_LDLIBS) -lcmocka

$(BUILD)/tests/unit/test_config: tests/unit/test_config.c $(LIBPVCFG_SAN) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit -Itoolstack/config -o $@ $< $(LIBPVCFG_SAN) $(CFG_LDLIBS) -lcmocka
