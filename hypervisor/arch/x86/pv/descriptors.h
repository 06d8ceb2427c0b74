/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PV_DESCRIPTORS_H
#define PVISOR_PV_DESCRIPTORS_H

#include <stdint.h>

/* Raw flat descriptors the entry area's reserved GDT frames hold. */
#define DESC_HV_CS64	0x00af9b000000ffffull	/* 0xe008: DPL0 long code */
#define DESC_HV_DS	0x00cf93000000ffffull	/* 0xe010: DPL0 data */
#define DESC_RING3_CS32	0x00cffb000000ffffull	/* 0xe023 */
#define DESC_RING3_DS	0x00cff3000000ffffull	/* 0xe02b */
#define DESC_RING3_CS64	0x00affb000000ffffull	/* 0xe033 */

#define DESC_PRESENT	(1ull << 47)
#define DESC_DPL(d)	((unsigned int)(((d) >> 45) & 3))
#define DESC_S		(1ull << 44)	/* code/data, not system */
#define DESC_CODE	(1ull << 43)
#define DESC_WRITABLE	(1ull << 41)	/* data: writable; code: readable */
#define DESC_CONFORMING	(1ull << 42)	/* code */
#define DESC_L		(1ull << 53)

#endif
