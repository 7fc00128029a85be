namespace Gensor.Backend.Emission;

/// <summary>
/// Turns the scalar local-memory slots of ILGPU's PTX into registers.
/// <para>
/// ILGPU passes each operand of inline PTX (<c>CudaAsm.EmitRef</c>: the MMA's accumulators, ldmatrix's
/// results, the shared base) through a 4- or 8-byte local slot, <c>__local_depotN</c>: a store, a load, the
/// instruction. ptxas normally keeps such slots in registers, but ptxas 11.8 leaves every one in local memory
/// once the function has a <c>cp.async</c> (the 4096³ f16 tensor-core kernel for sm_90: a 1,528-byte stack
/// frame and hundreds of STL/LDL around the MMAs; with the slots in registers, 117 -> 96 registers and
/// 1,675 -> 408 SASS instructions). The rewrite does what ptxas does without cp.async: a slot whose address is
/// taken once, into a register used for nothing else, and only ever stored and loaded whole with one type
/// becomes a register of that type, its stores and loads moves. Anything else is left as it is, so the
/// rewrite never changes what the code computes. PTX without cp.async is left as ILGPU wrote it: ptxas
/// promotes its slots itself, and handed them as registers it unrolled single-buffered tensor-core loops
/// further and held more registers (the register estimate against ptxas fell from 1.04 to 0.93 for f16).
/// </para>
/// </summary>
/// <remarks>
/// Emitted launchers carry this class's source (LauncherWriter reads it as a resource), so it names every type
/// in full and uses nothing but the base library.
/// </remarks>
public static class PtxLocalPromotion
{
    /// <summary>
    /// <paramref name="ptx"/> with its promotable local slots in registers where it has a cp.async; the same string
    /// when it has none, or no slot to promote.
    /// </summary>
    public static string Promote(string ptx)
    {
        if (!ptx.Contains("cp.async", global::System.StringComparison.Ordinal))
        {
            return ptx;
        }
        var lines = ptx.Split('\n');
        var slotBytes = new global::System.Collections.Generic.Dictionary<string, int>(global::System.StringComparer.Ordinal);
        var slotOf = new global::System.Collections.Generic.Dictionary<string, string>(global::System.StringComparer.Ordinal);
        var addressTakenInto = new global::System.Collections.Generic.Dictionary<string, string>(global::System.StringComparer.Ordinal);
        var left = new global::System.Collections.Generic.HashSet<string>(global::System.StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (Declaration(line, out var slot, out var bytes))
            {
                slotBytes[slot] = bytes;
            }
            else if (AddressTaken(line, out var register, out slot))
            {
                if (slotOf.ContainsKey(register) || addressTakenInto.ContainsKey(slot))
                {
                    left.Add(register);
                    left.Add(slot);
                }
                slotOf[register] = slot;
                addressTakenInto[slot] = register;
            }
        }
        // Every other mention of an address register must be a whole store or load of its slot, of one type.
        var typeOf = new global::System.Collections.Generic.Dictionary<string, string>(global::System.StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (AddressTaken(line, out _, out _))
            {
                continue;
            }
            var accessed = "";
            if (Access(line, out _, out var type, out var register, out var value) && slotOf.TryGetValue(register, out var slot))
            {
                var sameType = !typeOf.TryGetValue(register, out var seen) || seen == type;
                if (slotBytes.TryGetValue(slot, out var bytes) && Bits(type) == bytes * 8 && sameType)
                {
                    typeOf[register] = type;
                    accessed = register;
                }
            }
            foreach (var mentioned in AddressRegisters(line))
            {
                // The accessed register in its brackets is the one mention allowed; any other, even in the same line, is not.
                if (mentioned != accessed || CountOf(line, mentioned) != 1)
                {
                    left.Add(mentioned);
                }
            }
        }
        var registerOf = new global::System.Collections.Generic.Dictionary<string, string>(global::System.StringComparer.Ordinal);
        foreach (var pair in slotOf)
        {
            if (!left.Contains(pair.Key) && !left.Contains(pair.Value) && typeOf.ContainsKey(pair.Key) && slotBytes.ContainsKey(pair.Value))
            {
                // __local_depot7 becomes %gensor_depot7: no name ILGPU writes starts so.
                registerOf[pair.Key] = "%gensor_" + pair.Value.Substring("__local_".Length);
            }
        }
        if (registerOf.Count == 0)
        {
            return ptx;
        }
        var output = new global::System.Text.StringBuilder(ptx.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var indent = line.Substring(0, line.Length - line.TrimStart().Length);
            if (Declaration(line, out var slot, out _) && addressTakenInto.TryGetValue(slot, out var address) && registerOf.TryGetValue(address, out var promoted))
            {
                output.Append(indent).Append(".reg .").Append(typeOf[address]).Append(' ').Append(promoted).Append(';');
            }
            else if (AddressTaken(line, out var register, out _) && registerOf.ContainsKey(register))
            {
                // The register held the slot's address; nothing reads it now.
                continue;
            }
            else if (Access(line, out var store, out var type, out register, out var value) && registerOf.TryGetValue(register, out promoted))
            {
                output.Append(indent).Append("mov.").Append(type).Append('\t').Append(store ? promoted : value).Append(", ").Append(store ? value : promoted).Append(';');
            }
            else
            {
                output.Append(line);
            }
            if (i < lines.Length - 1)
            {
                output.Append('\n');
            }
        }
        return output.ToString();
    }

    /// <summary><c>.local .align A .b8 __local_depotN[4];</c> (or 8 bytes).</summary>
    private static bool Declaration(string line, out string slot, out int bytes)
    {
        var text = line.Trim();
        slot = "";
        bytes = 0;
        var open = text.IndexOf('[');
        var name = text.LastIndexOf(' ', open < 0 ? 0 : open);
        if (!text.StartsWith(".local .align ", global::System.StringComparison.Ordinal) || open < 0 || name < 0 || !text.EndsWith("];", global::System.StringComparison.Ordinal)
            || name < 3 || text.Substring(name - 3, 3) != ".b8")
        {
            return false;
        }
        slot = text.Substring(name + 1, open - name - 1);
        var size = text.Substring(open + 1, text.Length - open - 3);
        bytes = size == "4" ? 4 : size == "8" ? 8 : 0;
        return bytes != 0 && slot.StartsWith("__local_depot", global::System.StringComparison.Ordinal);
    }

    /// <summary><c>mov.b64 %rdN, __local_depotM;</c>: the slot's address taken into a register.</summary>
    private static bool AddressTaken(string line, out string register, out string slot)
    {
        var text = line.Trim();
        register = "";
        slot = "";
        if (!text.StartsWith("mov.b64", global::System.StringComparison.Ordinal) || !text.EndsWith(";", global::System.StringComparison.Ordinal))
        {
            return false;
        }
        var operands = text.Substring(7, text.Length - 8).Split(',');
        if (operands.Length != 2)
        {
            return false;
        }
        register = operands[0].Trim();
        slot = operands[1].Trim();
        return IsAddressRegister(register) && slot.StartsWith("__local_depot", global::System.StringComparison.Ordinal);
    }

    /// <summary><c>st.local.T [%rdN], value;</c> or <c>ld.local.T value, [%rdN];</c>, T a 32- or 64-bit scalar type.</summary>
    private static bool Access(string line, out bool store, out string type, out string register, out string value)
    {
        var text = line.Trim();
        store = text.StartsWith("st.local.", global::System.StringComparison.Ordinal);
        type = register = value = "";
        if ((!store && !text.StartsWith("ld.local.", global::System.StringComparison.Ordinal)) || !text.EndsWith(";", global::System.StringComparison.Ordinal))
        {
            return false;
        }
        var space = text.IndexOfAny(new[] { ' ', '\t' });
        if (space < 0)
        {
            return false;
        }
        type = text.Substring(9, space - 9);
        var operands = text.Substring(space + 1, text.Length - space - 2).Split(',');
        if (operands.Length != 2 || Bits(type) == 0)
        {
            return false;
        }
        var (address, other) = store ? (operands[0].Trim(), operands[1].Trim()) : (operands[1].Trim(), operands[0].Trim());
        if (address.Length < 3 || address[0] != '[' || address[address.Length - 1] != ']' || other.Length == 0 || other.IndexOfAny(new[] { '[', ']', ' ', '\t', '{' }) >= 0)
        {
            return false;
        }
        register = address.Substring(1, address.Length - 2);
        value = other;
        return IsAddressRegister(register);
    }

    /// <summary>The width of a scalar type b32, f32, s32, u32 or their 64-bit forms; 0 for any other.</summary>
    private static int Bits(string type) =>
        type.Length == 3 && "bfsu".IndexOf(type[0]) >= 0 ? type.Substring(1) switch { "32" => 32, "64" => 64, _ => 0 } : 0;

    private static bool IsAddressRegister(string text)
    {
        if (text.Length < 4 || !text.StartsWith("%rd", global::System.StringComparison.Ordinal))
        {
            return false;
        }
        for (var i = 3; i < text.Length; i++)
        {
            if (!IsDigit(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Every <c>%rdN</c> the line mentions (a name's whole digits: %rd13 is not in %rd130).</summary>
    private static global::System.Collections.Generic.IEnumerable<string> AddressRegisters(string line)
    {
        for (var at = line.IndexOf("%rd", global::System.StringComparison.Ordinal); at >= 0; at = line.IndexOf("%rd", at + 3, global::System.StringComparison.Ordinal))
        {
            var end = at + 3;
            while (end < line.Length && IsDigit(line[end]))
            {
                end++;
            }
            if (end > at + 3)
            {
                yield return line.Substring(at, end - at);
            }
        }
    }

    private static bool IsDigit(char c) => c >= '0' && c <= '9';

    private static int CountOf(string line, string register)
    {
        var count = 0;
        foreach (var mentioned in AddressRegisters(line))
        {
            count += mentioned == register ? 1 : 0;
        }
        return count;
    }
}
