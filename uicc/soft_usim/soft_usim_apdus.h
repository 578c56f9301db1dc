// The commands the software USIM answers, as the card sees them (ETSI TS 102 221 §10-11,
// TS 31.102 §7). Kept apart from the client's uicc/usim_apdus.h on purpose: the simulated
// card must not share the terminal's code, or a wrong constant would agree with itself.
#ifndef GBABRIDGE_UICC_SOFT_USIM_SOFT_USIM_APDUS_H_
#define GBABRIDGE_UICC_SOFT_USIM_SOFT_USIM_APDUS_H_

#include <cstdint>

namespace gbabridge::card_apdu {

// Classes (TS 102 221 §10.1.1): '0X' ISO, '8X' for STATUS; b2-b1 of either are the logical
// channel (0 basic, 1-3 opened with MANAGE CHANNEL). Channels 4-19 ('4X', 'CX') are not
// offered: MANAGE CHANNEL never assigns them.
inline constexpr uint8_t kClaIso = 0x00;
inline constexpr uint8_t kClaProprietary = 0x80;
inline constexpr uint8_t kClaChannelMask = 0x03;
inline constexpr int kLogicalChannels = 4;  // 0 (basic) and 1-3

// Instructions (TS 102 221 §10.1.2).
inline constexpr uint8_t kInsSelect = 0xA4;
inline constexpr uint8_t kInsStatus = 0xF2;
inline constexpr uint8_t kInsReadBinary = 0xB0;
inline constexpr uint8_t kInsUpdateBinary = 0xD6;
inline constexpr uint8_t kInsReadRecord = 0xB2;
inline constexpr uint8_t kInsVerify = 0x20;
inline constexpr uint8_t kInsAuthenticate = 0x88;
inline constexpr uint8_t kInsGetResponse = 0xC0;
inline constexpr uint8_t kInsManageChannel = 0x70;

// MANAGE CHANNEL P1 (TS 102 221 §11.1.17): 00 open (P2 00: the card picks the number,
// returned in one byte), 80 close the channel in P2.
inline constexpr uint8_t kManageChannelOpen = 0x00;
inline constexpr uint8_t kManageChannelClose = 0x80;

// SELECT P1 (TS 102 221 §11.1.1.2).
inline constexpr uint8_t kSelectByFid = 0x00;
inline constexpr uint8_t kSelectByAid = 0x04;
inline constexpr uint8_t kSelectByPathFromMf = 0x08;
inline constexpr uint8_t kSelectByPathFromCurrentDf = 0x09;
// SELECT P2: b4-b3 what to return, b2-b1 which occurrence of a partial AID; b8-b5 unused.
inline constexpr uint8_t kSelectResponseMask = 0x0C;
inline constexpr uint8_t kSelectReturnFcp = 0x04;
inline constexpr uint8_t kSelectReturnNothing = 0x0C;
inline constexpr uint8_t kSelectOccurrenceMask = 0x03;
inline constexpr uint8_t kSelectFirstOccurrence = 0x00;
inline constexpr uint8_t kSelectNextOccurrence = 0x02;
inline constexpr uint8_t kSelectUnsupportedP2Bits = 0xF0;
// A DF name (AID) is 5 to 16 bytes (TS 101 220 §4).
inline constexpr size_t kMinAidSize = 5;
inline constexpr size_t kMaxAidSize = 16;

// STATUS P1 <= 02 (application status); P2 (TS 102 221 §11.1.2).
inline constexpr uint8_t kStatusMaxP1 = 0x02;
inline constexpr uint8_t kStatusReturnFcp = 0x00;
inline constexpr uint8_t kStatusReturnDfName = 0x01;
inline constexpr uint8_t kStatusReturnNothing = 0x0C;

// READ RECORD P2 (TS 102 221 §11.1.5): b3-b1 mode, b8-b4 SFI.
inline constexpr uint8_t kReadRecordModeMask = 0x07;
inline constexpr uint8_t kReadRecordAbsolute = 0x04;

// VERIFY P2: key reference 01 = PIN1 (TS 102 221 §9.5.1).
inline constexpr uint8_t kPin1KeyReference = 0x01;

// AUTHENTICATE P2 (TS 31.102 §7.1.1): 1000 0001 3G context, 1000 0100 GBA context; the
// low three bits are the context.
inline constexpr uint8_t kAuthContext3g = 0x81;
inline constexpr uint8_t kAuthContextGba = 0x84;
inline constexpr uint8_t kAuthContextMask = 0x07;
// GBA command tags (TS 31.102 §7.1.2.4) and the response tags (§7.1.2.1).
inline constexpr uint8_t kGbaBootstrapTag = 0xDD;
inline constexpr uint8_t kGbaNafDerivationTag = 0xDE;
inline constexpr uint8_t kAuthSuccessTag = 0xDB;
inline constexpr uint8_t kAuthSyncFailureTag = 0xDC;

// T=0 procedure bytes (TS 102 221 §7.3.1.1.4): 61xx response bytes available, 6Cxx wrong
// Le (xx is the right one).
inline constexpr uint8_t kSw1ResponseAvailable = 0x61;
inline constexpr uint8_t kSw1WrongLe = 0x6C;

// FCP tag 84: DF name (TS 102 221 §11.1.1.3).
inline constexpr uint8_t kFcpDfNameTag = 0x84;

}  // namespace gbabridge::card_apdu

#endif  // GBABRIDGE_UICC_SOFT_USIM_SOFT_USIM_APDUS_H_
