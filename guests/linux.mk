# SPDX-License-Identifier: MIT
# `make linux-guest`: Debian bookworm's stock cloud kernel (CONFIG_XEN_PV=y)
# and a busybox initramfs, downloaded with apt-get into $(BUILD)/linux.
# Nothing is compiled and nothing touches the host's /boot. Needs the
# Debian mirror, so it is not part of `make check`.
LINUX_DIR     := $(BUILD)/linux
LINUX_VMLINUZ := $(LINUX_DIR)/vmlinuz
LINUX_INITRD  := $(LINUX_DIR)/initrd.img
LINUX_ROOTFS  := $(LINUX_DIR)/rootfs.ext4

linux-guest: $(LINUX_VMLINUZ) $(LINUX_INITRD)
	@echo "kernel:  $(LINUX_VMLINUZ) ($$(cat $(LINUX_DIR)/version))"
	@echo "initrd:  $(LINUX_INITRD)"
	@echo "boot:    make linux-run   (or $(BUILD)/pvctl run --kernel $(LINUX_VMLINUZ) --ramdisk $(LINUX_INITRD) --memory 512 --cmdline 'console=hvc0 earlyprintk=xen nr_cpus=1')"

# linux_kernel DIR META: DIR/vmlinuz from Debian's meta package META,
# DIR/initrd.img from this directory's initramfs builder.
define linux_kernel
$(1)/vmlinuz: guests/linux/fetch-kernel.sh
	$$(Q)sh guests/linux/fetch-kernel.sh $(1) $(2)

$(1)/initrd.img: $(1)/vmlinuz guests/linux/mkinitramfs.sh \
		 guests/linux/mkcpio.py guests/linux/modules.sh guests/linux/init \
		 guests/linux/inittab
	$$(Q)sh guests/linux/mkinitramfs.sh $(1)
endef
$(eval $(call linux_kernel,$(LINUX_DIR),linux-image-cloud-amd64))

# `make linux-rootfs`: a 64 MiB ext4 root for root=/dev/xvda (PV disk),
# made without root privileges (mke2fs -d; guests/linux/mkrootfs.sh).
# The busybox it copies comes with the kernel download.
$(LINUX_ROOTFS): $(LINUX_VMLINUZ) guests/linux/mkrootfs.sh \
		 guests/linux/modules.sh guests/linux/inittab
	$(Q)sh guests/linux/mkrootfs.sh $(LINUX_DIR)

linux-rootfs: $(LINUX_ROOTFS)

# `make linux-guest-6.12`: Debian's 6.12 cloud kernel (Debian 13's
# kernel line, in Debian 12's security archive) with the same initramfs
# builder: a second kernel we did not write (check-linux-kernels).
LINUX612_DIR := $(BUILD)/linux-6.12
$(eval $(call linux_kernel,$(LINUX612_DIR),linux-image-6.12-cloud-amd64))

linux-guest-6.12: $(LINUX612_DIR)/vmlinuz $(LINUX612_DIR)/initrd.img
	@echo "kernel:  $(LINUX612_DIR)/vmlinuz ($$(cat $(LINUX612_DIR)/version))"

linux-guest-clean:
	rm -rf $(LINUX_DIR) $(LINUX612_DIR)

.PHONY: linux-guest linux-guest-6.12 linux-guest-clean linux-rootfs

# Boot it in the foreground (console on stdout, exit counters at the end).
LINUX_CMDLINE ?= console=hvc0 earlyprintk=xen nr_cpus=1
LINUX_MEMORY  ?= 512
linux-run: pvisor linux-guest
	$(BUILD)/pvctl run --kernel $(LINUX_VMLINUZ) --ramdisk $(LINUX_INITRD) \
		--memory $(LINUX_MEMORY) --cmdline "$(LINUX_CMDLINE)" --stats

.PHONY: linux-run
