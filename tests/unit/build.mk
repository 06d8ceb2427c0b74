# cmocka unit tests, built with AddressSanitizer and UBSan.
CHECK_TARGETS += check-unit

UNIT_TESTS += test_guest_mem
UNIT_TESTS += test_pv_bounce
UNIT_TESTS += test_cpuid
UNIT_TESTS += test_emul_priv
UNIT_TESTS += test_elf

UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBPVISOR_SAN) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit -o $@ $< $(LIBPVISOR_SAN) $(LDLIBS) -lcmocka

check-unit: $(UNIT_BINS)
	$(Q)sh tests/unit/run.sh $(UNIT_BINS)
