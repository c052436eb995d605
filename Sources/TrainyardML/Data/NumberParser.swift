import Foundation

/// Parses decimal numbers from raw bytes without building strings.
///
/// The common case (≤ 19 significant digits, decimal exponent within ±22) is converted
/// exactly with one multiplication or division of exact doubles (Clinger's fast path), so
/// the result is correctly rounded; anything else goes through `strtod`.
enum NumberParser {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, powersOfTen: [Double] = NumberParser.powersOfTen) -> Double? {
        var i = 0
        let n = bytes.count
        guard n > 0 else { return nil }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0, exponent = 0, sawDigit = false
        while i < n, bytes[i] &- 48 < 10 {
            if digits < 19 { mantissa = mantissa * 10 + UInt64(bytes[i] - 48); if mantissa > 0 { digits += 1 } } else { exponent += 1 }
            sawDigit = true
            i += 1
        }
        if i < n, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, bytes[i] &- 48 < 10 {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(bytes[i] - 48); exponent -= 1; if mantissa > 0 { digits += 1 } }
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return slowPath(bytes) }
        if i < n, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < n, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var e = 0, expDigits = 0
            while i < n, bytes[i] &- 48 < 10 {
                if e < 100_000 { e = e * 10 + Int(bytes[i] - 48) }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return slowPath(bytes) }
        if digits >= 19 || mantissa > (1 << 53) || abs(exponent) > 22 { return slowPath(bytes) }
        var value = Double(mantissa)
        if exponent < 0 { value /= powersOfTen[-exponent] } else { value *= powersOfTen[exponent] }
        return negative ? -value : value
    }

    /// 10⁰…10²², all exact in a `Double`. Pass it in from hot loops to skip the lazy-static check.
    static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// `strtod` for what the fast path does not take (`inf`, `nan`, long mantissas, …);
    /// the whole field must be consumed.
    private static func slowPath(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard bytes.count < 256 else { return nil }
        var buffer = [CChar](repeating: 0, count: bytes.count + 1)
        for (i, b) in bytes.enumerated() { buffer[i] = CChar(bitPattern: b) }
        return buffer.withUnsafeBufferPointer { pointer -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(pointer.baseAddress!, &end)
            guard let end, end - UnsafeMutablePointer(mutating: pointer.baseAddress!) == bytes.count else { return nil }
            return value
        }
    }
}
