namespace Gensor.Analysis;

/// <summary>
/// An operand's box of a tensor-core stage as it lies in shared memory, row by row: <see cref="Rows"/> rows of
/// <see cref="Words"/> 32-bit words, each padded to <see cref="Stride"/> words, which <see cref="Threads"/> threads
/// copy a word at a time (copy item i = thread + u·T is word <see cref="Word"/>(i) of row <see cref="Row"/>(i)).
/// A's box (BM rows of the stage's k) is kept so; so is B's (BK rows of BN) for 16-bit operands.
/// <para>
/// A fragment load reads 8 rows of 4 words (ldmatrix's 16-byte rows): with rows an odd multiple of 4 words
/// apart they fall in 32 different banks, hence the padding of rows of a multiple of 8 words by 4.
/// </para>
/// </summary>
public sealed record SharedRows(int Rows, int Words, int Threads)
{
    /// <summary>Words from one row's start to the next's.</summary>
    public int Stride => Words % 8 == 0 ? Words + TensorCoreTiling.RowPaddingWords : Words;

    /// <summary>Shared words of one buffer of the box.</summary>
    public int BufferWords => Rows * Stride;

    /// <summary>Words each thread copies per stage.</summary>
    public int CopyWords => Rows * Words / Threads;

    /// <summary>
    /// Whether a warp's rows are spread over its group of 8: with rows of W = 8 or 16 words padded to W + 4, a warp
    /// writes 32/W rows, and consecutive ones wrap onto each other's banks (rows 0 and 3 of 12 words share banks
    /// 4-7). Rows W/4 apart start W banks apart (2·12 = 24 ≡ -8, 4·20 = 80 ≡ 16 mod 32), so a warp that takes rows
    /// 0, 2, 4, 6 (or 0 and 4) fills 32 banks. Only where a thread's later words stay a constant number of rows
    /// from its first (the copy's windows): rounds of threads that cover a divisor or a multiple of 8 rows.
    /// </summary>
    public bool SpreadsRows => Words is 8 or 16 && (8 % (Threads / Words) == 0 || Threads / Words % 8 == 0);

    /// <summary>The row copy item <paramref name="item"/> falls in.</summary>
    public int Row(int item)
    {
        var row = item / Words;
        if (!SpreadsRows)
        {
            return row;
        }
        var perWarp = 32 / Words;
        var apart = Words / 4;
        return (row & ~7) + ((row % perWarp) * apart) + ((row & 7) / perWarp);
    }

    /// <summary>The word of its row copy item <paramref name="item"/> is.</summary>
    public int Word(int item) => item % Words;

    /// <summary>Bank passes of a warp's store of the copy, the most of any warp: 1 over the tiling space.</summary>
    public int CopyPasses => BankPasses(thread => (Row(thread) * Stride) + Word(thread), Words % 32 == 0 || 32 % Words == 0 ? 32 : Threads);

    /// <summary>Bank passes of a warp's read of 8 rows of 4 words (a fragment, or a phase of ldmatrix): 1 with the padding.</summary>
    public int MatrixPasses => BankPasses(lane => ((lane & 31) >> 2) * Stride + (lane & 3), 32);

    /// <summary>
    /// Why the threads cannot copy the box with one base a thread and constant offsets (every word once, a
    /// thread's words in one column of rows, or in one row), or null.
    /// </summary>
    public string? Check() =>
        Rows * Words % Threads != 0 || (Threads % Words != 0 && Words % Threads != 0)
            ? $"{Threads} threads do not split {Rows} rows of {Words} words evenly"
            : null;

    /// <summary>
    /// Passes of a warp's 32-bit shared access to the words <paramref name="word"/> gives per thread, the
    /// most of any warp of the first <paramref name="threads"/>: the most distinct words one of the 32 banks
    /// serves. Where every warp's words are the first warp's plus a constant (the callers say when), the
    /// first warp alone is asked: construction prices hundreds of tilings.
    /// </summary>
    internal static int BankPasses(Func<int, int> word, int threads)
    {
        const int banks = 32;
        Span<int> words = stackalloc int[32];
        Span<int> perBank = stackalloc int[banks];
        var passes = 0;
        for (var warp = 0; warp < threads; warp += 32)
        {
            for (var lane = 0; lane < 32; lane++)
            {
                words[lane] = word(warp + lane);
            }
            words.Sort();
            perBank.Clear();
            for (var lane = 0; lane < 32; lane++)
            {
                // A word several lanes access is served once.
                if (lane == 0 || words[lane] != words[lane - 1])
                {
                    passes = Math.Max(passes, ++perBank[words[lane] % banks]);
                }
            }
        }
        return passes;
    }
}
