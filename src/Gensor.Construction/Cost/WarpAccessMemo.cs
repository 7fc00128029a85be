namespace Gensor.Construction.Cost;

/// <summary>
/// Remembered answers of the cost model's warp-access counts (bank passes of a shared load,
/// the same load's passes without conflicts, sectors of a global load). Each is a pure function
/// of a few integers, an answer walks the warp's lanes (and sorts up to 128 words), and a construction asks the same few questions for
/// thousands of states: in a cold process this sorting was 40% of the gensor walk. A
/// direct-mapped table of plain arrays (no generic collection, so nothing more to compile
/// at run time and no allocation after the first use); a slot that two questions share keeps
/// the later one, so an answer is the same whether or not it was remembered.
/// One table per thread: policies may construct on several threads at once.
/// </summary>
internal sealed class WarpAccessMemo
{
    private const int Slots = 4096;

    [ThreadStatic]
    private static WarpAccessMemo? t_current;

    // Per slot: the question's integers (0 = empty: every question has a nonzero kind) and the answer.
    private readonly long[] _keys = new long[Slots * Question.Length];
    private readonly int[] _answers = new int[Slots];

    /// <summary>This thread's table.</summary>
    public static WarpAccessMemo Current => t_current ??= new WarpAccessMemo();

    /// <summary>The answer remembered for <paramref name="question"/>, or 0.</summary>
    public int Find(in Question question)
    {
        var slot = question.Slot(Slots);
        var keys = _keys.AsSpan(slot * Question.Length, Question.Length);
        return question.Matches(keys) ? _answers[slot] : 0;
    }

    /// <summary>Remembers <paramref name="answer"/> (at least 1) for <paramref name="question"/>, and returns it.</summary>
    public int Keep(in Question question, int answer)
    {
        var slot = question.Slot(Slots);
        question.WriteTo(_keys.AsSpan(slot * Question.Length, Question.Length));
        _answers[slot] = answer;
        return answer;
    }

    /// <summary>One warp-access question: which count, the lanes' layout, and the profile's figures it depends on.</summary>
    public readonly struct Question(long kind, long lanes, long strideLane, long threadsX, long strideX, long threadsY, long strideY, long width, long warpSize, long unit)
    {
        public const int Length = 10;

        public int Slot(int slots)
        {
            // FNV-1a over the integers, folded to the table's size.
            var hash = 0xCBF29CE484222325UL;
            hash = (hash ^ (ulong)kind) * 0x100000001B3UL;
            hash = (hash ^ (ulong)lanes) * 0x100000001B3UL;
            hash = (hash ^ (ulong)strideLane) * 0x100000001B3UL;
            hash = (hash ^ (ulong)threadsX) * 0x100000001B3UL;
            hash = (hash ^ (ulong)strideX) * 0x100000001B3UL;
            hash = (hash ^ (ulong)threadsY) * 0x100000001B3UL;
            hash = (hash ^ (ulong)strideY) * 0x100000001B3UL;
            hash = (hash ^ (ulong)width) * 0x100000001B3UL;
            hash = (hash ^ (ulong)warpSize) * 0x100000001B3UL;
            hash = (hash ^ (ulong)unit) * 0x100000001B3UL;
            return (int)((hash ^ (hash >> 32)) & (ulong)(slots - 1));
        }

        public bool Matches(ReadOnlySpan<long> keys) =>
            keys[0] == kind && keys[1] == lanes && keys[2] == strideLane && keys[3] == threadsX && keys[4] == strideX
            && keys[5] == threadsY && keys[6] == strideY && keys[7] == width && keys[8] == warpSize && keys[9] == unit;

        public void WriteTo(Span<long> keys)
        {
            keys[0] = kind;
            keys[1] = lanes;
            keys[2] = strideLane;
            keys[3] = threadsX;
            keys[4] = strideX;
            keys[5] = threadsY;
            keys[6] = strideY;
            keys[7] = width;
            keys[8] = warpSize;
            keys[9] = unit;
        }
    }
}
