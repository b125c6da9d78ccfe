using Spectre.Console;

namespace FedLlm.Cli.Output;

/// <summary>Where result tables go: the ANSI console on a terminal, plain ASCII text (no colour, wide) when redirected.</summary>
public static class ResultConsole
{
    public static IAnsiConsole Create()
    {
        if (ConsoleOutput.IsInteractive) return AnsiConsole.Console;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        console.Profile.Width = 200;
        console.Profile.Capabilities.Unicode = false;
        return console;
    }

    /// <summary>A table that reads well in both places: rounded borders on a terminal, ASCII in logs.</summary>
    public static Table Table() => new Table().Border(ConsoleOutput.IsInteractive ? TableBorder.Rounded : TableBorder.Ascii);
}
