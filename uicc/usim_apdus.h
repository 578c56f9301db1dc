// The APDUs the USIM client sends, in one table (ETSI TS 102 221 §10-11, TS 31.102 §7),
// and the file identifiers it reads (TS 31.102 §4, TS 31.103 §4).
#ifndef GBABRIDGE_UICC_USIM_APDUS_H_
#define GBABRIDGE_UICC_USIM_APDUS_H_

#include <cstdint>

namespace gbabridge::usim {

// CLA 00: ISO class, basic logical channel (TS 102 221 §10.1.1). CLA 80 for STATUS.
inline constexpr uint8_t kClaIso = 0x00;
inline constexpr uint8_t kClaProprietary = 0x80;

//                                   INS    P1                      P2
inline constexpr uint8_t kInsSelect = 0xA4;  // 00 FID / 04 AID / 08 path, 04 FCP
inline constexpr uint8_t kInsStatus = 0xF2;
inline constexpr uint8_t kInsReadBinary = 0xB0;    // offset hi, offset lo
inline constexpr uint8_t kInsUpdateBinary = 0xD6;  // offset hi, offset lo
inline constexpr uint8_t kInsReadRecord = 0xB2;    // record number, 04 absolute
inline constexpr uint8_t kInsVerify = 0x20;        // 00, key reference
inline constexpr uint8_t kInsAuthenticate = 0x88;  // 00, 0x80 | context
inline constexpr uint8_t kInsGetResponse = 0xC0;

inline constexpr uint8_t kSelectByFid = 0x00;
inline constexpr uint8_t kSelectByAid = 0x04;
inline constexpr uint8_t kSelectByPathFromMf = 0x08;
inline constexpr uint8_t kSelectReturnFcp = 0x04;
inline constexpr uint8_t kReadRecordAbsolute = 0x04;

// VERIFY PIN: key reference 01 = PIN1 / application PIN 1 (TS 102 221 §9.5.1); the PIN is
// padded with FF to 8 bytes.
inline constexpr uint8_t kPin1KeyReference = 0x01;
inline constexpr size_t kPinBlockSize = 8;

// AUTHENTICATE P2 (TS 31.102 §7.1.1): bit 8 set = specific reference data, low bits = context.
inline constexpr uint8_t kAuthContext3g = 0x81;
inline constexpr uint8_t kAuthContextGba = 0x84;
// GBA context data tags (TS 31.102 §7.1.2.4): DD bootstrapping mode, DE NAF derivation mode.
inline constexpr uint8_t kGbaBootstrapTag = 0xDD;
inline constexpr uint8_t kGbaNafDerivationTag = 0xDE;
// Response tags: DB success, DC synchronisation failure (TS 31.102 §7.1.2.1).
inline constexpr uint8_t kAuthSuccessTag = 0xDB;
inline constexpr uint8_t kAuthSyncFailureTag = 0xDC;

// File identifiers.
inline constexpr uint16_t kFidMf = 0x3F00;
inline constexpr uint16_t kFidEfDir = 0x2F00;
inline constexpr uint16_t kFidEfIccid = 0x2FE2;
inline constexpr uint16_t kFidEfImsi = 0x6F07;   // TS 31.102 §4.2.2
inline constexpr uint16_t kFidEfAd = 0x6FAD;     // TS 31.102 §4.2.18
inline constexpr uint16_t kFidEfUst = 0x6F38;    // TS 31.102 §4.2.8
inline constexpr uint16_t kFidEfGbabp = 0x6FD6;  // TS 31.102 §4.2.79
inline constexpr uint16_t kFidEfGbanl = 0x6FDA;  // TS 31.102 §4.2.83
inline constexpr uint16_t kFidEfImpi = 0x6F02;   // TS 31.103 §4.2.2

// UST service n°68: GBA (TS 31.102 §4.2.8).
inline constexpr int kUstServiceGba = 68;

// Application identifier prefixes, RID + application code (TS 101 220 Annex E).
inline constexpr uint8_t kUsimAidPrefix[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02};
inline constexpr uint8_t kIsimAidPrefix[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x04};

// EF_DIR record template tags (TS 102 221 §13.1).
inline constexpr uint32_t kTagApplicationTemplate = 0x61;
inline constexpr uint32_t kTagAid = 0x4F;
inline constexpr uint32_t kTagApplicationLabel = 0x50;

}  // namespace gbabridge::usim

#endif  // GBABRIDGE_UICC_USIM_APDUS_H_
