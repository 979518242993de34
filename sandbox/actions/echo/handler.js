// echo: returns the text unchanged.
return { text: args.text };
