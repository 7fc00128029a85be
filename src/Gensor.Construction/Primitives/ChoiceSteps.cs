namespace Gensor.Construction.Primitives;

/// <summary>Moves along an ascending list of a schedule field's choices (reduce threads, split).</summary>
internal static class ChoiceSteps
{
    /// <summary>
    /// The choice after (<paramref name="grow"/>) or before <paramref name="current"/>, or the
    /// first one when <paramref name="toFirst"/>; null when <paramref name="current"/> is not a
    /// choice or the move leads nowhere new. A loop, not LINQ: primitives run for every state.
    /// </summary>
    public static int? Next(IReadOnlyList<int> choices, int current, bool grow, bool toFirst = false)
    {
        var index = -1;
        for (var i = 0; i < choices.Count; i++)
        {
            if (choices[i] == current)
            {
                index = i;
            }
        }
        var next = toFirst ? 0 : grow ? index + 1 : index - 1;
        return index < 0 || next < 0 || next >= choices.Count || next == index ? null : choices[next];
    }
}
