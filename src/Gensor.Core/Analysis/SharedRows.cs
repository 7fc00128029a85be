namespace Gensor.Analysis;

/// <summary>
/// An operand's box of a tensor-core stage as it lies in shared memory, row by row: <see cref="Rows"/> rows of
/// <see cref="Words"/> 32-bit words, each padded to <see cref="Stride"/> words, which <see cref="Threads"/> threads
/// copy <see cref="Unit"/> words at a time (copy item i = thread + u·T is the unit at word <see cref="Word"/>(i) of
/// row <see cref="Row"/>(i)). A's box (BM rows of the stage's k) and B's (BK rows of BN) are kept so.
/// <para>
/// A warp's fragment load reads 32 words: <see cref="ReadWords"/> consecutive words of each of 32 / ReadWords rows
/// (8 rows of 4 words for ldmatrix's 16-byte rows, 4 rows of 8 words for TF32's B, a word a lane). With rows an
/// odd multiple of ReadWords apart they fall in 32 different banks, hence the padding of rows by ReadWords where
/// their length is an even multiple of it.
/// </para>
/// </summary>
public sealed record SharedRows(int Rows, int Words, int Threads, int ReadWords = 4)
{
    /// <summary>
    /// <see cref="RowsApartOf"/> by row length and stride: tilings are records built afresh on every access to their
    /// boxes, construction prices hundreds of them, and only a handful of (length, stride) pairs occur.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int Words, int Stride), int> KnownRowsApart = new();

    /// <summary>Words from one row's start to the next's.</summary>
    public int Stride => StrideOf(Words, ReadWords);

    private static int StrideOf(int words, int readWords) => words / readWords % 2 == 0 ? words + readWords : words;

    /// <summary>Shared words of one buffer of the box.</summary>
    public int BufferWords => Rows * Stride;

    /// <summary>Words each thread copies per stage.</summary>
    public int CopyWords => Rows * Words / Threads;

    /// <summary>Words of a 128-bit load and store.</summary>
    public const int WideUnit = 4;

    /// <summary>
    /// Words a copy item moves: 4, one 128-bit load and store, where the threads split the box evenly into such
    /// items (every copy of the tiling space but the smallest boxes), else 1.
    /// </summary>
    public int Unit => Splits(WideUnit) ? WideUnit : 1;

    /// <summary>Copy items in a row.</summary>
    public int ItemsPerRow => Words / Unit;

    /// <summary>Copy items each thread moves per stage.</summary>
    public int CopyItems => Rows * ItemsPerRow / Threads;

    /// <summary>Rows a store pass covers: a pass is 32 words (a warp's words, or 8 threads' 128-bit units).</summary>
    public int RowsPerPass => Math.Max(1, 32 / Words);

    /// <summary>How far apart the rows a store pass writes are (see <see cref="RowsApartOf"/>).</summary>
    public int RowsApart => KnownRowsApart.GetOrAdd((Words, Stride), key => RowsApartOf(key.Words, key.Stride));

    /// <summary>
    /// Padded rows shorter than 32 words wrap onto each other's banks when consecutive (rows 0 and 3 of 8 words
    /// padded to 12 share banks 4-7), but rows a few apart start a row's length of banks apart (2·12 = 24 ≡ -8,
    /// 4·20 = 80 ≡ 16, 2·24 = 48 ≡ 16 mod 32): the least such distance, so that a store pass that takes rows 0, 2,
    /// 4, 6 (or 0 and 4) fills 32 banks; 1 where consecutive rows already do, or none does.
    /// </summary>
    private static int RowsApartOf(int words, int stride)
    {
        if (words >= 32 || stride == words)
        {
            return 1;
        }
        for (var apart = 1; apart <= 8; apart++)
        {
            var rowsApart = apart;
            if (BankPasses(slot => (slot / words * rowsApart * stride) + (slot % words), 32) == 1)
            {
                return apart;
            }
        }
        return 1;
    }

    /// <summary>
    /// Whether the rows of a store pass are spread (<see cref="RowsApart"/>) within groups of RowsPerPass·RowsApart
    /// rows. Only where a thread's later items stay a constant number of rows from its first (the copy's windows):
    /// rounds of threads that cover a divisor or a multiple of a group.
    /// </summary>
    public bool SpreadsRows => RowsApart > 1 && Threads / ItemsPerRow is var rounds && RowsPerPass * RowsApart is var group
        && Rows % group == 0 && (group % rounds == 0 || rounds % group == 0);

    /// <summary>The row copy item <paramref name="item"/> falls in.</summary>
    public int Row(int item)
    {
        var row = item / ItemsPerRow;
        if (!SpreadsRows)
        {
            return row;
        }
        var (perPass, apart) = (RowsPerPass, RowsApart);
        var group = perPass * apart;
        return (row / group * group) + ((row % perPass) * apart) + (row % group / perPass);
    }

    /// <summary>The first word of its row that copy item <paramref name="item"/> moves.</summary>
    public int Word(int item) => item % ItemsPerRow * Unit;

    /// <summary>Bank passes of a warp's store of the copy, the most of any warp: 1 over the tiling space.</summary>
    public int CopyPasses => BankPasses(thread => (Row(thread) * Stride) + Word(thread), Words % 32 == 0 || 32 % Words == 0 ? 32 : Threads, Unit);

    /// <summary>Bank passes of a warp's fragment read, <see cref="ReadWords"/> words of each of 32 / ReadWords rows: 1 with the padding.</summary>
    public int MatrixPasses => BankPasses(lane => ((lane & 31) / ReadWords * Stride) + (lane % ReadWords), 32);

    /// <summary>
    /// Why the threads cannot copy the box with one base a thread and constant offsets (every word once, a
    /// thread's words in one column of rows, or in one row), or null.
    /// </summary>
    public string? Check() => Splits(1) ? null : $"{Threads} threads do not split {Rows} rows of {Words} words evenly";

    /// <summary>Whether the threads split the box evenly into items of <paramref name="unit"/> words, a thread's in one column of rows or in one row.</summary>
    private bool Splits(int unit) =>
        Words % unit == 0 && Rows * (Words / unit) % Threads == 0 && (Threads % (Words / unit) == 0 || Words / unit % Threads == 0);

    /// <summary>
    /// Passes of a warp's shared access to the <paramref name="unit"/> words from <paramref name="word"/> a thread
    /// (a 32-bit access, or a 128-bit one served 8 threads a pass), the most of any warp of the first
    /// <paramref name="threads"/>: the most distinct words one of the 32 banks serves in a pass. Where every
    /// warp's words are the first warp's plus a constant (the callers say when), the first warp alone is asked:
    /// construction prices hundreds of tilings.
    /// </summary>
    internal static int BankPasses(Func<int, int> word, int threads, int unit = 1)
    {
        const int banks = 32;
        Span<int> words = stackalloc int[32];
        Span<int> perBank = stackalloc int[banks];
        var passes = 0;
        var perPass = 32 / unit;
        for (var first = 0; first < threads; first += perPass)
        {
            for (var slot = 0; slot < 32; slot++)
            {
                words[slot] = word(first + (slot / unit)) + (slot % unit);
            }
            words.Sort();
            perBank.Clear();
            for (var slot = 0; slot < 32; slot++)
            {
                // A word several threads access is served once.
                if (slot == 0 || words[slot] != words[slot - 1])
                {
                    passes = Math.Max(passes, ++perBank[words[slot] % banks]);
                }
            }
        }
        return passes;
    }
}
