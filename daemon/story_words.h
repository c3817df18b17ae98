/* story_words: stop words per language for story folding (story.c only).
 * Compared after NFKC case folding, before stemming. Short lists on purpose:
 * a stop word is one whose presence says nothing about which event an item
 * tells; everything else is weighed by its IDF. */
#ifndef HERALD_STORY_WORDS_H
#define HERALD_STORY_WORDS_H

static const char *const story_stop_english[] = {
	"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
	"are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
	"but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few",
	"for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
	"herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its",
	"itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of",
	"off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own",
	"same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs",
	"them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to",
	"too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
	"while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
	"s", "t", "d", "ll", "re", "ve", "m", "says", "said", "say", "new", "via", "amp", "may",
	"might", "must", "shall", "us", "get", "gets", "got", "one", "two", "de", "la", "le", NULL,
};

static const char *const story_stop_russian[] = {
	"и", "в", "во", "не", "что", "он", "на", "я", "с", "со", "как", "а", "то", "все", "она",
	"так", "его", "но", "да", "ты", "к", "у", "же", "вы", "за", "бы", "по", "только", "ее",
	"её", "мне", "было", "вот", "от", "меня", "еще", "ещё", "нет", "о", "из", "ему", "теперь",
	"когда", "даже", "ну", "вдруг", "ли", "если", "уже", "или", "ни", "быть", "был", "него",
	"до", "вас", "нибудь", "опять", "уж", "вам", "ведь", "там", "потом", "себя", "ничего",
	"ей", "может", "они", "тут", "где", "есть", "надо", "ней", "для", "мы", "тебя", "их",
	"чем", "была", "сам", "чтоб", "без", "будто", "чего", "раз", "тоже", "себе", "под",
	"будет", "ж", "тогда", "кто", "этот", "того", "потому", "этого", "какой", "совсем",
	"ним", "здесь", "этом", "один", "почти", "мой", "тем", "чтобы", "нее", "были", "куда",
	"зачем", "всех", "никогда", "можно", "при", "наконец", "два", "об", "другой", "хоть",
	"после", "над", "больше", "тот", "через", "эти", "нас", "про", "всего", "них", "какая",
	"много", "разве", "три", "эту", "моя", "впрочем", "хорошо", "свою", "этой", "перед",
	"иногда", "лучше", "чуть", "том", "нельзя", "такой", "им", "более", "всегда", "конечно",
	"всю", "между", "это", "также", NULL,
};

static const char *const story_stop_turkish[] = {
	"acaba", "ama", "aslında", "az", "bazı", "belki", "biri", "birkaç", "birşey", "biz", "bu",
	"çok", "çünkü", "da", "daha", "de", "defa", "diye", "eğer", "en", "gibi", "hem", "hep",
	"hepsi", "her", "hiç", "için", "ile", "ise", "kez", "ki", "kim", "mı", "mu", "mü", "nasıl",
	"ne", "neden", "nerde", "nerede", "nereye", "niçin", "niye", "o", "sanki", "şey", "siz",
	"şu", "tüm", "ve", "veya", "ya", "yani", "olarak", "ile", "bir", "olan", "sonra", "kadar",
	NULL,
};

static const char *const story_stop_german[] = {
	"der", "die", "das", "und", "in", "zu", "den", "von", "mit", "sich", "des", "auf", "für",
	"ist", "im", "dem", "nicht", "ein", "eine", "als", "auch", "es", "an", "er", "hat", "aus",
	"bei", "sie", "nach", "wird", "um", "am", "sind", "noch", "wie", "einem", "über", "einen",
	"so", "zum", "war", "haben", "nur", "oder", "aber", "vor", "zur", "bis", "mehr", "durch",
	"man", "dass", "werden", NULL,
};

static const char *const story_stop_french[] = {
	"le", "la", "les", "de", "des", "du", "un", "une", "et", "en", "à", "au", "aux", "pour",
	"par", "sur", "dans", "avec", "ce", "cette", "ces", "qui", "que", "est", "sont", "pas",
	"il", "elle", "ils", "se", "sa", "son", "ses", "a", "l", "d", "plus", "ne", "ou", NULL,
};

static const char *const story_stop_spanish[] = {
	"de", "la", "que", "el", "en", "y", "a", "los", "del", "se", "las", "por", "un", "para",
	"con", "no", "una", "su", "al", "lo", "como", "más", "pero", "sus", "le", "ya", "o", "es",
	"fue", "este", "ha", "sí", "porque", "esta", "entre", "cuando", "muy", "sin", "sobre", NULL,
};

#endif
