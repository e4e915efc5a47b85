"""Stop words of the four languages themes are computed in (see :mod:`metrics.themes`).

Function words only (articles, pronouns, prepositions, conjunctions, auxiliary and very common
verbs, negations, quantifiers), after the Snowball project's lists for Portuguese, Spanish and
English and the usual Romanian list. Kept short on purpose: a word such as "order", "problem",
"help" or "time" says what went wrong, so it must be able to become a theme (the larger published
lists drop those). Compared accent-folded on both sides, so "nao" and "não", or "si" and "și",
are the same stop word.
"""

PT = """
a à ao aos aquela aquelas aquele aqueles aquilo as às até com como contra da das de dela delas
dele deles depois do dos e é ela elas ele eles em entre era eram essa essas esse esses esta
está estão estas este estes eu foi fomos for foram fosse fui há isso isto já la lhe lhes lo
mais mas me mesmo meu meus minha minhas muito muita muitos muitas na não nas nem no nos nós
nossa nossas nosso nossos num numa o os ou para pela pelas pelo pelos por qual quando que
quem se seja sem ser seu seus só sua suas também te tem têm tinha tive teve ter tu tua tuas
teu teus um uma umas uns você vocês vos vai vou estou estava estive sou são foi seria então
ainda aqui ali lá sempre nunca nada ninguém tudo todo toda todos todas cada outro outra
outros outras tão tanto pois porque porquê assim bem sim
"""

ES = """
a al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante
e el él ella ellas ellos en entre era eran es esa esas ese eso esos esta está están estas
este esto estos estoy estaba estuve fue fueron fui ha han has hay he la las le les lo los más
me mi mis mucho muchos muy nada nadie ni no nos nosotros o os otra otras otro otros para pero
poco por porque que qué quien se sea ser si sí sin sobre son su sus también te tengo tiene
tienen tu tus tuve tuvo un una uno unos unas usted ustedes y ya yo soy eres somos aquí allí
así bien siempre nunca todo toda todos todas cada tan tanto entonces aún aunque mío mía
"""

RO = """
a acea aceasta această aceea acei aceia acel acela acele acelea acest acesta aceste acestea
acestei acestia acestui aceşti acolo acum ai aia aibă al ale alt alta altă alte altceva alti
am ar are aș asta astea ăsta ăștia atât atâta atunci au avea avem aveți avut azi ce cea cei
cel cele cine cât câte când cu da dacă dar de deci deja din dintre doar după e ea ei el ele
eram este eu fi fie fiecare fost foarte fără i ii îi îl îmi în încă îţi îți la le lor lui m
ma mă mai mea mei mele meu mi mie mine mult multă mulți ne nici nimeni nimic noi nostru
noastră nu o ori pe pentru prea prin s sa să se sau său sunt sânt ta tău te ți toate toată
tot toți tu un una unde unei unor unui v va vă voi vom vor vreo și şi cum sa-mi
"""

EN = """
a about above after again against all am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't
doing don't down during each few for from further had hadn't has hasn't have haven't having
he her here hers herself him himself his how i i'm i've if in into is isn't it it's its
itself let's me more most my myself no nor not of off on once only or other ought our ours
ourselves out over own same she should shouldn't so some such than that that's the their
theirs them themselves then there these they this those through to too under until up very
was wasn't we were weren't what when where which while who whom why will with won't would
wouldn't you your yours yourself yourselves just also got get still ever really nobody
nothing everything something anything
"""

BY_LANGUAGE = {"pt": PT, "es": ES, "ro": RO, "en": EN}
